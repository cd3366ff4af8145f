namespace Recurring.Core.Data.Synthetic;

/// <summary>What the synthetic generator draws for one dense feature.</summary>
/// <param name="MissingRate">Probability that an event lacks the feature.</param>
public sealed record SyntheticDenseDraw(string Name, SyntheticDenseShape Shape, double MissingRate);

/// <summary>
/// What the synthetic generator draws for one sparse feature: Zipf-distributed popularity ranks over
/// <paramref name="Cardinality"/> values, each shown as a stable pseudo-random 32-bit ID, as an integer or as a string
/// of its 8 lowercase hexadecimal digits (<paramref name="Kind"/>). A multi-valued feature holds 1 to MaxValues of
/// them (uniformly) when present, drawn independently, so a list may repeat a value.
/// </summary>
/// <param name="MissingRate">Probability that an event lacks the feature (a multi-valued one: has no values).</param>
public sealed record SyntheticSparseDraw(string Name, int Cardinality, SparseValueKind Kind, double MissingRate);

/// <summary>
/// The per-feature choices behind the synthetic events of a schema (docs/features.md, "Synthetic data for your schema").
/// </summary>
/// <remarks>
/// A schema with Criteo's layout (13 dense, then 26 single-valued sparse features, whatever their names) gets the
/// Criteo-like data of <see cref="SyntheticDataOptions"/>: counts shaped like I1..I13, the options' cardinalities and
/// missing rates, integer IDs. Its events are the same as before schemas existed, so TSV, JSON and Parquet copies of
/// them agree and earlier figures stay reproducible.
/// <para>
/// Any other schema: each feature's parameters are drawn from (seed, feature name), so renaming a feature redraws it
/// and appending one leaves the others alone.
/// <list type="bullet">
/// <item>Missing rate: uniform in [0, <see cref="MaxMissingRate"/>).</item>
/// <item>Dense, by transform: log1p → a heavy-tailed count with λ log-uniform in [0.5, 1000] and α uniform in [1.2, 3];
/// standardize → a Gaussian with mean 100·g (g roughly standard normal) and standard deviation log-uniform in [0.1, 1000];
/// none → a share, uniform in (0, 1].</item>
/// <item>Sparse: cardinality log-uniform between Rows / 64 and Rows (at least 2); integer IDs when the name says it is
/// an id (<see cref="IsIdName"/>), strings otherwise.</item>
/// </list>
/// </para>
/// </remarks>
internal sealed class SyntheticFeaturePlan
{
    public const double MaxMissingRate = 0.2;

    private const double SmallestCountScale = 0.5;
    private const double LargestCountScale = 1_000;
    private const double SmallestTailIndex = 1.2;
    private const double LargestTailIndex = 3;
    private const double GaussianMeanSpread = 100;
    private const double SmallestStandardDeviation = 0.1;
    private const double LargestStandardDeviation = 1_000;

    /// <summary>The smallest vocabulary of a sparse feature is its Rows divided by this.</summary>
    private const double LargestRowsPerValue = 64;

    private SyntheticFeaturePlan(DenseFeatureShape[] denseShapes, double[] denseMissingRates, int[] cardinalities, SparseValueKind[] kinds,
        double[] sparseMissingRates, FeatureSchema schema)
    {
        DenseShapes = denseShapes;
        DenseMissingRates = denseMissingRates;
        Cardinalities = cardinalities;
        Kinds = kinds;
        SparseMissingRates = sparseMissingRates;
        Dense = schema.Dense.Select((feature, i) => new SyntheticDenseDraw(feature.Name, denseShapes[i].Shape, denseMissingRates[i])).ToArray();
        Sparse = schema.Sparse.Select((feature, j) => new SyntheticSparseDraw(feature.Name, cardinalities[j], kinds[j], sparseMissingRates[j])).ToArray();
    }

    public DenseFeatureShape[] DenseShapes { get; }
    public double[] DenseMissingRates { get; }
    public int[] Cardinalities { get; }
    public SparseValueKind[] Kinds { get; }
    public double[] SparseMissingRates { get; }
    public IReadOnlyList<SyntheticDenseDraw> Dense { get; }
    public IReadOnlyList<SyntheticSparseDraw> Sparse { get; }

    public static SyntheticFeaturePlan For(FeatureSchema schema, SyntheticDataOptions options, ulong key)
    {
        if (schema.HasCriteoLayout)
            return new SyntheticFeaturePlan(DenseFeatureShape.CriteoLike.ToArray(), options.DenseMissingRates.ToArray(), options.CategoricalCardinalities.ToArray(),
                Enumerable.Repeat(SparseValueKind.Integer, schema.Sparse.Count).ToArray(), options.CategoricalMissingRates.ToArray(), schema);

        var denseKeys = schema.Dense.Select(feature => FeatureKey(key, feature.Name)).ToArray();
        var sparseKeys = schema.Sparse.Select(feature => FeatureKey(key, feature.Name)).ToArray();
        return new SyntheticFeaturePlan(
            schema.Dense.Select((feature, i) => DenseShape(feature.Transform, denseKeys[i])).ToArray(),
            denseKeys.Select(MissingRate).ToArray(),
            schema.Sparse.Select((feature, j) => Cardinality(feature.Rows, sparseKeys[j])).ToArray(),
            schema.Sparse.Select(feature => IsIdName(feature.Name) ? SparseValueKind.Integer : SparseValueKind.String).ToArray(),
            sparseKeys.Select(MissingRate).ToArray(),
            schema);
    }

    /// <summary>
    /// True for a name that says its values are ids: "id", or ending in "_id", "_ids", "Id" or "Ids"
    /// (user_id, itemId, category_ids).
    /// </summary>
    public static bool IsIdName(string name) =>
        name.Equals("id", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("_id", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_ids", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("Id", StringComparison.Ordinal) || name.EndsWith("Ids", StringComparison.Ordinal);

    // Draw 0 of a feature's key is its missing rate; draws 1 and 2 its shape or size.
    private static ulong FeatureKey(ulong key, string name) => CounterHash.Derive(key, FeatureHashing.FeaturePrefix(name));

    private static double Uniform(ulong key, ulong draw) => CounterHash.ToUnitInterval(CounterHash.At(key, draw));

    private static double LogUniform(double smallest, double largest, double u) => smallest * Math.Pow(largest / smallest, u);

    private static double MissingRate(ulong key) => MaxMissingRate * (1 - Uniform(key, 0));

    private static DenseFeatureShape DenseShape(DenseTransform transform, ulong key) => transform switch
    {
        DenseTransform.Log1p => DenseFeatureShape.Count(
            LogUniform(SmallestCountScale, LargestCountScale, Uniform(key, 1)),
            SmallestTailIndex + (LargestTailIndex - SmallestTailIndex) * Uniform(key, 2)),
        DenseTransform.Standardize => DenseFeatureShape.Gaussian(
            GaussianMeanSpread * CounterHash.GaussianAt(key, 1),
            LogUniform(SmallestStandardDeviation, LargestStandardDeviation, Uniform(key, 2))),
        _ => DenseFeatureShape.Share(),
    };

    private static int Cardinality(int rows, ulong key) =>
        Math.Max(2, (int)Math.Round(LogUniform(rows / LargestRowsPerValue, rows, Uniform(key, 1))));
}
