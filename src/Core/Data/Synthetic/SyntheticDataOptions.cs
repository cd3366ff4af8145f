namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Settings of <see cref="SyntheticClickGenerator"/>: the shape of the Criteo-like features (the per-table lists apply
/// to a schema with Criteo's layout; other schemas draw theirs, see <see cref="SyntheticFeaturePlan"/>), the hidden
/// teacher that turns features into click probabilities, and how both drift over event time. The defaults aim at a problem that
/// a DLRM with 16-dimensional embeddings in hashed tables of 100,000 rows can learn from a few million events, by
/// keeping most of the signal on popular values.
/// </summary>
public sealed record SyntheticDataOptions
{
    /// <summary>The largest <see cref="CrossEmbeddingDimension"/>; embeddings live on the stack while scoring.</summary>
    public const int MaxCrossEmbeddingDimension = 16;

    public static IReadOnlyList<int> CriteoLikeCardinalities { get; } = Array.AsReadOnly(new[]
    {
        1_460, 583, 2_000_000, 1_000_000, 305, 24, 12_517, 633, 3, 93_145, 5_683, 1_500_000, 3_194,
        27, 14_992, 1_200_000, 10, 5_652, 2_173, 4, 1_800_000, 18, 15, 286_181, 105, 142_572,
    });

    public static IReadOnlyList<double> CriteoLikeDenseMissingRates { get; } = Array.AsReadOnly(new[]
    {
        0.10, 0, 0.05, 0.06, 0.01, 0.08, 0.01, 0, 0.01, 0.10, 0.01, 0.10, 0.06,
    });

    public static IReadOnlyList<double> CriteoLikeCategoricalMissingRates { get; } = Array.AsReadOnly(new[]
    {
        0, 0, 0.03, 0.03, 0, 0.05, 0, 0, 0, 0, 0, 0.03, 0, 0, 0, 0.03, 0, 0, 0.10, 0.10, 0.03, 0.10, 0, 0.03, 0.10, 0.10,
    });

    /// <summary>Everything generated, teacher included, is a function of the seed and the options.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Popularity rank r of a categorical value is drawn with probability ∝ r^(−ZipfExponent).</summary>
    public double ZipfExponent { get; init; } = 1.15;

    /// <summary>Number of distinct values of each of the 26 categorical features of Criteo's layout.</summary>
    public IReadOnlyList<int> CategoricalCardinalities { get; init; } = CriteoLikeCardinalities;

    /// <summary>Probability that each of the 13 dense features of Criteo's layout is missing.</summary>
    public IReadOnlyList<double> DenseMissingRates { get; init; } = CriteoLikeDenseMissingRates;

    /// <summary>Probability that each of the 26 categorical features of Criteo's layout is missing.</summary>
    public IReadOnlyList<double> CategoricalMissingRates { get; init; } = CriteoLikeCategoricalMissingRates;

    /// <summary>Expected AUC of the teacher's own probabilities: the best AUC any model can reach.</summary>
    public double TargetBayesAuc { get; init; } = 0.80;

    /// <summary>Mean click probability.</summary>
    public double TargetClickRate { get; init; } = 0.25;

    /// <summary>Radians the teacher's categorical weights and embeddings rotate per million events; 0 disables this drift.</summary>
    public double RotationPerMillionEvents { get; init; }

    /// <summary>
    /// New IDs entering at rank 1 of each large categorical feature per million events (each pushes the older IDs
    /// one rank down); 0 disables this drift.
    /// </summary>
    public double NewIdsPerMillionEvents { get; init; }

    /// <summary>
    /// Features with fewer values than this never get new IDs: they stand for fixed vocabularies such as device
    /// types, which a stream of new IDs would replace entirely within a short time.
    /// </summary>
    public int NewIdMinimumCardinality { get; init; } = 1_000;

    /// <summary>
    /// Number of categorical feature pairs whose teacher embeddings interact through a dot product; every pair when the
    /// schema has fewer.
    /// </summary>
    public int CrossPairCount { get; init; } = 12;

    /// <summary>
    /// Dimension of the teacher's embeddings. Kept well below the student's embedding size so the crosses have a
    /// low-rank structure the student can represent.
    /// </summary>
    public int CrossEmbeddingDimension { get; init; } = 4;

    /// <summary>
    /// Popularity rank at which a categorical value's teacher effect (weight and embedding) has halved: the effect is
    /// scaled by R / (R + rank − 1). Signal on rare values cannot be learnt from finite data, so this keeps most of
    /// the signal on values a model sees often.
    /// </summary>
    public double EffectHalfRank { get; init; } = 500;

    /// <summary>Relative weight of the per-value first-order term of the teacher's score.</summary>
    public double FirstOrderStrength { get; init; } = 1.0;

    /// <summary>Relative weight of the embedding crosses.</summary>
    public double CrossStrength { get; init; } = 1.0;

    /// <summary>Relative weight of the linear term in the (log-transformed) dense features.</summary>
    public double DenseStrength { get; init; } = 0.5;

    /// <summary>Relative weight of the one interaction between a dense feature and a categorical feature.</summary>
    public double DenseCategoricalCrossStrength { get; init; } = 0.3;

    /// <summary>
    /// Relative weight of the capacity-hungry term: a sum of <see cref="NonlinearUnits"/> sinusoids of random
    /// projections of the dense features, half of them with a phase set by the value of one small categorical
    /// feature (a dense × categorical interaction). A narrow MLP cannot represent it; 0 (the default) leaves it out.
    /// `recurring bench amgp` and `bench recurring` use 2.5 (docs/amgp.md).
    /// </summary>
    public double NonlinearStrength { get; init; }

    /// <summary>
    /// Relative weight of a nonlinear dense effect that appears at <see cref="NewEffectFromEvent"/>: a second term of
    /// the capacity-hungry form (its own random directions, amplitudes and phases; <see cref="NonlinearUnits"/> and
    /// <see cref="NonlinearFrequency"/> apply), absent before that event. A drift: 0 (the default) leaves it out.
    /// Calibration draws the first <see cref="CalibrationSampleSize"/> events, so an effect appearing later adds to
    /// the teacher's score without changing its scale, bias or any other effect.
    /// </summary>
    public double NewEffectStrength { get; init; }

    /// <summary>The event index from which the <see cref="NewEffectStrength"/> term is part of the teacher.</summary>
    public long NewEffectFromEvent { get; init; }

    /// <summary>Number of sinusoids in the capacity-hungry term.</summary>
    public int NonlinearUnits { get; init; } = 32;

    /// <summary>Angular frequency of the sinusoids per unit of a dense feature's teacher signal (roughly its spread).</summary>
    public double NonlinearFrequency { get; init; } = 1.0;

    /// <summary>Number of events used to calibrate the teacher's scale and bias at construction.</summary>
    public int CalibrationSampleSize { get; init; } = 40_000;

    /// <summary>Problems with these options, each naming the setting at fault; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();

        void Require(bool condition, string error)
        {
            if (!condition)
                errors.Add(error);
        }

        void RequireRates(IReadOnlyList<double>? rates, int expectedCount, string name)
        {
            if (rates is null || rates.Count != expectedCount)
                errors.Add($"{name} needs {expectedCount} entries, one per feature, but has {rates?.Count ?? 0}.");
            else if (rates.Any(rate => !(rate >= 0 && rate < 1)))
                errors.Add($"{name} must lie in [0, 1); got {string.Join(", ", rates)}.");
        }

        Require(ZipfExponent > 0 && double.IsFinite(ZipfExponent), $"{nameof(ZipfExponent)} must be positive and finite; got {ZipfExponent}.");

        if (CategoricalCardinalities is null || CategoricalCardinalities.Count != CriteoRecord.CategoricalCount)
            errors.Add($"{nameof(CategoricalCardinalities)} needs {CriteoRecord.CategoricalCount} entries, one per feature, but has {CategoricalCardinalities?.Count ?? 0}.");
        else if (CategoricalCardinalities.Any(cardinality => cardinality < 1))
            errors.Add($"{nameof(CategoricalCardinalities)} must all be at least 1; got {string.Join(", ", CategoricalCardinalities)}.");

        RequireRates(DenseMissingRates, CriteoRecord.DenseCount, nameof(DenseMissingRates));
        RequireRates(CategoricalMissingRates, CriteoRecord.CategoricalCount, nameof(CategoricalMissingRates));

        Require(TargetBayesAuc > 0.5 && TargetBayesAuc < 1, $"{nameof(TargetBayesAuc)} must lie in (0.5, 1); got {TargetBayesAuc}.");
        Require(TargetClickRate > 0 && TargetClickRate < 1, $"{nameof(TargetClickRate)} must lie in (0, 1); got {TargetClickRate}.");
        Require(double.IsFinite(RotationPerMillionEvents), $"{nameof(RotationPerMillionEvents)} must be finite; got {RotationPerMillionEvents}.");
        Require(NewIdsPerMillionEvents >= 0 && double.IsFinite(NewIdsPerMillionEvents), $"{nameof(NewIdsPerMillionEvents)} must be non-negative and finite; got {NewIdsPerMillionEvents}.");
        Require(NewIdMinimumCardinality >= 1, $"{nameof(NewIdMinimumCardinality)} must be at least 1; got {NewIdMinimumCardinality}.");

        const int tablePairs = CriteoRecord.CategoricalCount * (CriteoRecord.CategoricalCount - 1) / 2;
        Require(CrossPairCount is >= 0 and <= tablePairs, $"{nameof(CrossPairCount)} must lie in [0, {tablePairs}]; got {CrossPairCount}.");
        Require(CrossEmbeddingDimension is >= 1 and <= MaxCrossEmbeddingDimension, $"{nameof(CrossEmbeddingDimension)} must lie in [1, {MaxCrossEmbeddingDimension}]; got {CrossEmbeddingDimension}.");
        Require(EffectHalfRank > 0 && double.IsFinite(EffectHalfRank), $"{nameof(EffectHalfRank)} must be positive and finite; got {EffectHalfRank}.");

        double[] strengths = [FirstOrderStrength, CrossStrength, DenseStrength, DenseCategoricalCrossStrength, NonlinearStrength];
        Require(strengths.All(strength => strength >= 0 && double.IsFinite(strength)),
            $"{nameof(FirstOrderStrength)}, {nameof(CrossStrength)}, {nameof(DenseStrength)}, {nameof(DenseCategoricalCrossStrength)} and {nameof(NonlinearStrength)} must be non-negative and finite; got {string.Join(", ", strengths)}.");
        Require(NonlinearUnits is >= 1 and <= 4_096, $"{nameof(NonlinearUnits)} must lie in [1, 4096]; got {NonlinearUnits}.");
        Require(NonlinearFrequency > 0 && double.IsFinite(NonlinearFrequency), $"{nameof(NonlinearFrequency)} must be positive and finite; got {NonlinearFrequency}.");
        Require(strengths.Any(strength => strength > 0), "At least one teacher strength must be positive, or no feature would matter.");
        Require(NewEffectStrength >= 0 && double.IsFinite(NewEffectStrength), $"{nameof(NewEffectStrength)} must be non-negative and finite; got {NewEffectStrength}.");
        Require(NewEffectFromEvent >= 0, $"{nameof(NewEffectFromEvent)} must not be negative; got {NewEffectFromEvent}.");

        Require(CalibrationSampleSize >= 1_000, $"{nameof(CalibrationSampleSize)} must be at least 1000 to calibrate reliably; got {CalibrationSampleSize}.");
        return errors;
    }
}
