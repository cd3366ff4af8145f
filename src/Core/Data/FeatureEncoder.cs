namespace Recurring.Core.Data;

/// <summary>
/// Turns an event's raw values into model inputs under a schema: each dense value through its transform, each
/// sparse value through <see cref="FeatureHashing"/> to a row of its feature's table. Holds each feature's hash
/// prefix, so encoding allocates nothing.
/// </summary>
public sealed class FeatureEncoder
{
    private readonly ulong[] _prefixes;
    private readonly int[] _rows;
    private readonly DenseTransform[] _transforms;
    private readonly double?[] _defaults;
    private readonly double[] _means;
    private readonly double[] _inverseDeviations;

    /// <param name="statistics">Moments of every standardized feature (<see cref="FeatureStatistics.Measure"/>).</param>
    public FeatureEncoder(FeatureSchema schema, FeatureStatistics statistics)
    {
        schema.EnsureValid();
        var missing = statistics.MissingFor(schema).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"Standardized features without measured moments: {string.Join(", ", missing)}.", nameof(statistics));
        Schema = schema;
        Statistics = statistics;
        _prefixes = schema.Sparse.Select(s => FeatureHashing.FeaturePrefix(s.Name)).ToArray();
        _rows = schema.Sparse.Select(s => s.Rows).ToArray();
        _transforms = schema.Dense.Select(d => d.Transform).ToArray();
        _defaults = schema.Dense.Select(d => d.Default).ToArray();
        _means = new double[schema.Dense.Count];
        _inverseDeviations = new double[schema.Dense.Count];
        for (int i = 0; i < schema.Dense.Count; i++)
        {
            if (_transforms[i] != DenseTransform.Standardize) continue;
            var moments = statistics.Dense[schema.Dense[i].Name];
            _means[i] = moments.Mean;
            // A constant feature carries no information: centred, it is 0 for every event.
            _inverseDeviations[i] = moments.Variance > 0 ? 1 / Math.Sqrt(moments.Variance) : 0;
        }
    }

    public FeatureSchema Schema { get; }
    public FeatureStatistics Statistics { get; }

    /// <summary>The model input of dense feature <paramref name="feature"/>: 0 when missing without a Default.</summary>
    public float EncodeDense(int feature, double? raw)
    {
        if ((raw ?? _defaults[feature]) is not { } x) return 0f;
        return _transforms[feature] switch
        {
            DenseTransform.Log1p => (float)Math.Log(1 + Math.Max(x, 0)),
            DenseTransform.Standardize => (float)((x - _means[feature]) * _inverseDeviations[feature]),
            _ => (float)x,
        };
    }

    /// <summary>The row of a present value in sparse feature <paramref name="feature"/>'s table (1 or more).</summary>
    public long RowOf(int feature, SparseValue value) => FeatureHashing.RowOf(FeatureHashing.Hash(_prefixes[feature], value), _rows[feature]);

    /// <summary>The row of a single-valued feature's value in an event: 0 when missing.</summary>
    public long RowOf(ClickEvent e, int feature) => e.CountOf(feature) == 0 ? 0 : RowOf(feature, e.ValueOf(feature, 0));
}
