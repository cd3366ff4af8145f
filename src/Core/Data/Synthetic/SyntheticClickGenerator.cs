namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Deterministic Criteo-like click events drawn from a hidden teacher whose true click probabilities are known, so
/// a trained model can be compared with the best possible one (the Bayes-optimal AUC and log loss).
/// </summary>
/// <remarks>
/// <para>
/// Event i is a pure function of (seed, i): every random number is a hash of (seed, event index, stream) rather
/// than the next output of a sequential generator. Generation can therefore start at any event, run in parallel,
/// and repeat exactly; instances are immutable after construction and safe to share between threads. (The
/// features pass through the platform's exp/log/pow, so a different maths library could in principle round a
/// value across an integer boundary; on one platform the output is exactly reproducible.)
/// </para>
/// <para>
/// Categorical features take Zipf-distributed popularity ranks shown as pseudo-random 32-bit IDs
/// (<see cref="CategoricalVocabulary"/>); dense features are heavy-tailed counts (<see cref="DenseFeatureShape"/>);
/// each feature may be missing. The click probability is σ(<see cref="Bias"/> + <see cref="Scale"/> · z), where the
/// score z comes from <see cref="ClickTeacher"/>, and the label is a Bernoulli draw from it. Scale and bias are
/// calibrated at construction on the first <see cref="SyntheticDataOptions.CalibrationSampleSize"/> events so that
/// the expected Bayes AUC and the mean click probability match the options (see <see cref="TeacherCalibration"/>).
/// </para>
/// </remarks>
public sealed class SyntheticClickGenerator
{
    private const ulong EventsStream = 0;
    private const ulong TeacherStream = 1;
    private const ulong SlotOffsetsStream = 2;

    // Within an event: one stream per categorical feature, then one per dense feature, then the label's.
    private const ulong FirstDenseStream = CriteoRecord.CategoricalCount;
    private const ulong LabelStream = CriteoRecord.CategoricalCount + CriteoRecord.DenseCount;

    private readonly ulong _eventsKey;
    private readonly CategoricalVocabulary[] _vocabularies;
    private readonly DenseFeatureShape[] _denseShapes;
    private readonly double[] _categoricalMissingRates;
    private readonly double[] _denseMissingRates;
    private readonly ClickTeacher _teacher;

    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public SyntheticClickGenerator(SyntheticDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid synthetic data options: " + string.Join(" ", errors), nameof(options));

        Options = options;
        ulong seedKey = CounterHash.Mix(options.Seed);
        _eventsKey = CounterHash.Derive(seedKey, EventsStream);
        ulong slotOffsets = CounterHash.Derive(seedKey, SlotOffsetsStream);
        double newIdsPerEvent = options.NewIdsPerMillionEvents / 1_000_000;
        _vocabularies = options.CategoricalCardinalities
            .Select((cardinality, table) => new CategoricalVocabulary(
                new ZipfSampler(cardinality, options.ZipfExponent),
                (uint)CounterHash.At(slotOffsets, (ulong)table),
                cardinality >= options.NewIdMinimumCardinality ? newIdsPerEvent : 0))
            .ToArray();
        _denseShapes = DenseFeatureShape.CriteoLike.ToArray();
        _categoricalMissingRates = options.CategoricalMissingRates.ToArray();
        _denseMissingRates = options.DenseMissingRates.ToArray();
        _teacher = new ClickTeacher(options, _vocabularies, _denseShapes, CounterHash.Derive(seedKey, TeacherStream));

        (Scale, Bias) = TeacherCalibration.Calibrate(CalibrationScores(options.CalibrationSampleSize), options.TargetBayesAuc, options.TargetClickRate);
    }

    public SyntheticDataOptions Options { get; }

    /// <summary>The calibrated multiplier of the teacher's score in the click logit.</summary>
    public double Scale { get; }

    /// <summary>The calibrated intercept of the click logit.</summary>
    public double Bias { get; }

    /// <summary>
    /// Fills <paramref name="into"/> with event <paramref name="eventIndex"/> (features and a label drawn from the
    /// true click probability) and returns that probability. Allocates nothing.
    /// </summary>
    public double Generate(long eventIndex, CriteoRecord into)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventIndex);
        ulong eventKey = EventKey(eventIndex);
        FillFeatures(eventIndex, eventKey, into);
        double probability = ClickProbability(into, eventIndex);
        into.Label = new CounterRandom(CounterHash.Derive(eventKey, LabelStream)).NextUnitInterval() <= probability;
        return probability;
    }

    /// <summary>
    /// The teacher's click probability for <paramref name="features"/> (the label is ignored) as of event
    /// <paramref name="eventIndex"/>: with drift, the same features can have a different probability later.
    /// IDs that the generator would not produce at that time contribute nothing.
    /// </summary>
    public double ClickProbability(CriteoRecord features, long eventIndex) =>
        Logistic.Sigmoid(Bias + Scale * _teacher.Score(features, eventIndex));

    private ulong EventKey(long eventIndex) => CounterHash.Derive(_eventsKey, (ulong)eventIndex);

    private void FillFeatures(long eventIndex, ulong eventKey, CriteoRecord into)
    {
        for (int table = 0; table < _vocabularies.Length; table++)
        {
            var random = new CounterRandom(CounterHash.Derive(eventKey, (ulong)table));
            into.Categorical[table] = random.NextUnitInterval() <= _categoricalMissingRates[table]
                ? null
                : _vocabularies[table].SampleId(ref random, eventIndex);
        }

        for (int feature = 0; feature < _denseShapes.Length; feature++)
        {
            var random = new CounterRandom(CounterHash.Derive(eventKey, FirstDenseStream + (ulong)feature));
            into.Dense[feature] = random.NextUnitInterval() <= _denseMissingRates[feature]
                ? null
                : _denseShapes[feature].Sample(ref random);
        }
    }

    private IEnumerable<double> CalibrationScores(int sampleSize)
    {
        var features = new CriteoRecord();
        for (long eventIndex = 0; eventIndex < sampleSize; eventIndex++)
        {
            FillFeatures(eventIndex, EventKey(eventIndex), features);
            yield return _teacher.Score(features, eventIndex);
        }
    }
}
