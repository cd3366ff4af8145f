namespace Recurring.Core.Data;

/// <summary>Mean and (population) variance of one dense feature's present raw values.</summary>
public sealed record DenseMoments(double Mean, double Variance);

/// <summary>
/// What the <see cref="DenseTransform.Standardize"/> features need to know about the offline data: their moments,
/// by feature name. Measured once before offline training and kept with the model (checkpoints carry it), so
/// streaming sees exactly the inputs the model was trained on.
/// </summary>
public sealed record FeatureStatistics(IReadOnlyDictionary<string, DenseMoments> Dense)
{
    public static readonly FeatureStatistics None = new(new Dictionary<string, DenseMoments>());

    /// <summary>Events <see cref="Measure"/> reads at most: enough for four significant digits of a mean.</summary>
    public const int MeasuredEvents = 100_000;

    /// <summary>Standardized features that have no moments here; empty when the encoder can be built.</summary>
    public IEnumerable<string> MissingFor(FeatureSchema schema) =>
        schema.Dense.Where(d => d.Transform == DenseTransform.Standardize && !Dense.ContainsKey(d.Name)).Select(d => d.Name);

    /// <summary>
    /// Moments of every standardized feature of <paramref name="schema"/> over at most <paramref name="maxEvents"/>
    /// events of <paramref name="source"/> (Welford's algorithm; missing values are not counted). A feature with no
    /// present value gets mean 0 and variance 1. Returns <see cref="None"/> when no feature is standardized.
    /// </summary>
    public static FeatureStatistics Measure(FeatureSchema schema, IClickEventSource source, long maxEvents = MeasuredEvents)
    {
        var standardized = Enumerable.Range(0, schema.Dense.Count).Where(i => schema.Dense[i].Transform == DenseTransform.Standardize).ToArray();
        if (standardized.Length == 0) return None;
        var count = new long[standardized.Length];
        var mean = new double[standardized.Length];
        var squares = new double[standardized.Length];
        var e = new ClickEvent(schema);
        for (long read = 0; read < maxEvents && source.TryRead(e, out _); read++)
        {
            for (int k = 0; k < standardized.Length; k++)
            {
                if (e.Dense[standardized[k]] is not { } x) continue;
                count[k]++;
                double delta = x - mean[k];
                mean[k] += delta / count[k];
                squares[k] += delta * (x - mean[k]);
            }
        }
        var moments = new Dictionary<string, DenseMoments>(StringComparer.Ordinal);
        for (int k = 0; k < standardized.Length; k++)
            moments[schema.Dense[standardized[k]].Name] = count[k] == 0 ? new DenseMoments(0, 1) : new DenseMoments(mean[k], squares[k] / count[k]);
        return new FeatureStatistics(moments);
    }

    public bool Equals(FeatureStatistics? other) =>
        other is not null && Dense.Count == other.Dense.Count && Dense.All(p => other.Dense.TryGetValue(p.Key, out var m) && m == p.Value);

    public override int GetHashCode() => Dense.Count;
}
