namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Deterministic click events of any <see cref="FeatureSchema"/> drawn from a hidden teacher whose true click
/// probabilities are known, so a trained model can be compared with the best possible one (the Bayes-optimal AUC and
/// log loss).
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
/// Categorical (sparse) features take Zipf-distributed popularity ranks shown as pseudo-random 32-bit IDs
/// (<see cref="CategoricalVocabulary"/>), as integers or strings, one per event or a list of them for a multi-valued
/// feature; dense features are heavy-tailed counts, Gaussians or shares (<see cref="DenseFeatureShape"/>); each
/// feature may be missing. What is drawn for each feature is in <see cref="DenseDraws"/> and <see cref="SparseDraws"/>;
/// a schema with Criteo's layout gets the Criteo-like data of <see cref="SyntheticDataOptions"/>
/// (<see cref="SyntheticFeaturePlan"/> has the rules). The click probability is σ(<see cref="Bias"/> + <see cref="Scale"/> · z), where the
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
    private const ulong FeaturePlanStream = 3;

    // Within an event: one stream per sparse feature, then one per dense feature, then the label's.
    private readonly ulong _firstDenseStream;
    private readonly ulong _labelStream;

    private readonly ulong _eventsKey;
    private readonly CategoricalVocabulary[] _vocabularies;
    private readonly SparseFeature[] _sparse;
    private readonly SyntheticFeaturePlan _plan;
    private readonly ClickTeacher _teacher;

    /// <summary>A generator of the Criteo preset's events.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public SyntheticClickGenerator(SyntheticDataOptions options) : this(options, FeatureSchema.Criteo())
    {
    }

    /// <summary>A generator of events under <paramref name="schema"/>.</summary>
    /// <exception cref="ArgumentException">The options or the schema are invalid; the message lists every problem.</exception>
    public SyntheticClickGenerator(SyntheticDataOptions options, FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schema);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid synthetic data options: " + string.Join(" ", errors), nameof(options));
        var schemaErrors = schema.Validate();
        if (schemaErrors.Count > 0)
            throw new ArgumentException("Invalid feature schema: " + string.Join(" ", schemaErrors), nameof(schema));

        Options = options;
        Schema = schema;
        _sparse = schema.Sparse.ToArray();
        _firstDenseStream = (ulong)schema.Sparse.Count;
        _labelStream = (ulong)(schema.Sparse.Count + schema.Dense.Count);
        ulong seedKey = CounterHash.Mix(options.Seed);
        _eventsKey = CounterHash.Derive(seedKey, EventsStream);
        _plan = SyntheticFeaturePlan.For(schema, options, CounterHash.Derive(seedKey, FeaturePlanStream));
        ulong slotOffsets = CounterHash.Derive(seedKey, SlotOffsetsStream);
        double newIdsPerEvent = options.NewIdsPerMillionEvents / 1_000_000;
        _vocabularies = _plan.Cardinalities
            .Select((cardinality, table) => new CategoricalVocabulary(
                new ZipfSampler(cardinality, options.ZipfExponent),
                (uint)CounterHash.At(slotOffsets, (ulong)table),
                cardinality >= options.NewIdMinimumCardinality ? newIdsPerEvent : 0))
            .ToArray();
        _teacher = new ClickTeacher(options, _sparse, _vocabularies, _plan.DenseShapes, CounterHash.Derive(seedKey, TeacherStream));

        (Scale, Bias) = TeacherCalibration.Calibrate(CalibrationScores(options.CalibrationSampleSize), options.TargetBayesAuc, options.TargetClickRate);
    }

    public SyntheticDataOptions Options { get; }

    /// <summary>The schema of the events; their sparse features' Rows only size the vocabularies.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>What is drawn for each dense feature, in schema order.</summary>
    public IReadOnlyList<SyntheticDenseDraw> DenseDraws => _plan.Dense;

    /// <summary>What is drawn for each sparse feature, in schema order.</summary>
    public IReadOnlyList<SyntheticSparseDraw> SparseDraws => _plan.Sparse;

    /// <summary>The calibrated multiplier of the teacher's score in the click logit.</summary>
    public double Scale { get; }

    /// <summary>The calibrated intercept of the click logit.</summary>
    public double Bias { get; }

    /// <summary>
    /// Fills <paramref name="into"/> with event <paramref name="eventIndex"/> (features and a label drawn from the
    /// true click probability) and returns that probability. <paramref name="into"/>'s schema must have the
    /// generator's layout (<see cref="Fits"/>). Allocates nothing once the event has held a few string values.
    /// </summary>
    public double Generate(long eventIndex, ClickEvent into)
    {
        ArgumentNullException.ThrowIfNull(into);
        RequireFit(into.Schema);
        into.Clear();
        double probability = Generate(eventIndex, new ClickEventFeatures(into), out bool label);
        into.Label = label;
        return probability;
    }

    /// <summary>
    /// Fills <paramref name="into"/> with event <paramref name="eventIndex"/> and returns its true click probability;
    /// only for a schema with Criteo's layout. Allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schema does not have Criteo's layout.</exception>
    public double Generate(long eventIndex, CriteoRecord into)
    {
        ArgumentNullException.ThrowIfNull(into);
        RequireCriteoLayout();
        double probability = Generate(eventIndex, new CriteoRecordFeatures(into), out bool label);
        into.Label = label;
        return probability;
    }

    /// <summary>
    /// The teacher's click probability for <paramref name="features"/> (the label is ignored) as of event
    /// <paramref name="eventIndex"/>: with drift, the same features can have a different probability later.
    /// Values that the generator would not produce at that time contribute nothing.
    /// </summary>
    public double ClickProbability(ClickEvent features, long eventIndex)
    {
        ArgumentNullException.ThrowIfNull(features);
        RequireFit(features.Schema);
        return Probability(new ClickEventFeatures(features), eventIndex);
    }

    /// <inheritdoc cref="ClickProbability(ClickEvent, long)"/>
    /// <exception cref="InvalidOperationException">The schema does not have Criteo's layout.</exception>
    public double ClickProbability(CriteoRecord features, long eventIndex)
    {
        ArgumentNullException.ThrowIfNull(features);
        RequireCriteoLayout();
        return Probability(new CriteoRecordFeatures(features), eventIndex);
    }

    /// <summary>
    /// True when an event of <paramref name="schema"/> can hold this generator's events: as many dense and sparse
    /// features, each sparse one as many values. Names, transforms and rows may differ.
    /// </summary>
    public bool Fits(FeatureSchema schema)
    {
        if (ReferenceEquals(schema, Schema))
            return true;
        if (schema.Dense.Count != Schema.Dense.Count || schema.Sparse.Count != _sparse.Length)
            return false;
        for (int j = 0; j < _sparse.Length; j++)
            if (schema.Sparse[j].Multi != _sparse[j].Multi || schema.Sparse[j].Capacity != _sparse[j].Capacity)
                return false;
        return true;
    }

    private void RequireFit(FeatureSchema schema)
    {
        if (!Fits(schema))
            throw new ArgumentException(
                $"The event's schema ({schema.Dense.Count} dense, {schema.Sparse.Count} sparse features) does not hold the generator's events " +
                $"({Schema.Dense.Count} dense, {Schema.Sparse.Count} sparse, with the same multi-valued features and MaxValues).");
    }

    private void RequireCriteoLayout()
    {
        if (!Schema.HasCriteoLayout)
            throw new InvalidOperationException(
                $"Only a generator of Criteo's layout fills a Criteo record; this one's schema has {Schema.Dense.Count} dense and {Schema.Sparse.Count} sparse features.");
    }

    private double Generate<TFeatures>(long eventIndex, TFeatures features, out bool label) where TFeatures : ISyntheticEventFeatures
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventIndex);
        ulong eventKey = EventKey(eventIndex);
        FillFeatures(eventIndex, eventKey, features);
        double probability = Probability(features, eventIndex);
        label = new CounterRandom(CounterHash.Derive(eventKey, _labelStream)).NextUnitInterval() <= probability;
        return probability;
    }

    private double Probability<TFeatures>(TFeatures features, long eventIndex) where TFeatures : ISyntheticEventFeatures =>
        Logistic.Sigmoid(Bias + Scale * _teacher.Score(features, eventIndex));

    private ulong EventKey(long eventIndex) => CounterHash.Derive(_eventsKey, (ulong)eventIndex);

    /// <summary>Every feature of the event; a multi-valued one gets 1 to MaxValues values (uniformly) when present.</summary>
    private void FillFeatures<TFeatures>(long eventIndex, ulong eventKey, TFeatures into) where TFeatures : ISyntheticEventFeatures
    {
        for (int table = 0; table < _vocabularies.Length; table++)
        {
            var random = new CounterRandom(CounterHash.Derive(eventKey, (ulong)table));
            if (random.NextUnitInterval() <= _plan.SparseMissingRates[table])
            {
                into.SetMissing(table);
                continue;
            }
            var feature = _sparse[table];
            int values = feature.Multi ? 1 + (int)(random.NextBits() % (ulong)feature.MaxValues) : 1;
            for (int value = 0; value < values; value++)
                into.Add(table, _vocabularies[table].SampleId(ref random, eventIndex), _plan.Kinds[table]);
        }

        for (int feature = 0; feature < _plan.DenseShapes.Length; feature++)
        {
            var random = new CounterRandom(CounterHash.Derive(eventKey, _firstDenseStream + (ulong)feature));
            into.SetDense(feature, random.NextUnitInterval() <= _plan.DenseMissingRates[feature]
                ? null
                : _plan.DenseShapes[feature].Sample(ref random));
        }
    }

    private IEnumerable<double> CalibrationScores(int sampleSize)
    {
        var features = new ClickEvent(Schema);
        for (long eventIndex = 0; eventIndex < sampleSize; eventIndex++)
        {
            features.Clear();
            FillFeatures(eventIndex, EventKey(eventIndex), new ClickEventFeatures(features));
            yield return _teacher.Score(new ClickEventFeatures(features), eventIndex);
        }
    }
}
