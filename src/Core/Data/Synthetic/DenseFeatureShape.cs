namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// The distribution of one dense feature: a heavy-tailed count ⌊λ(U^(−1/α) − 1)⌋ (a discretised Lomax, or
/// Pareto II, variable, which is often 0 when λ is small), occasionally replaced by −1 as in Criteo's second column.
/// </summary>
/// <param name="Scale">λ: roughly where the tail starts.</param>
/// <param name="TailIndex">α: smaller is heavier; the mean is λ / (α − 1) for α &gt; 1.</param>
/// <param name="NegativeOneRate">Probability of the value −1.</param>
internal readonly record struct DenseFeatureShape(double Scale, double TailIndex, double NegativeOneRate)
{
    /// <summary>Magnitudes loosely following Criteo's I1..I13 (for example I5's counts run into the thousands, I10 is mostly 0).</summary>
    public static IReadOnlyList<DenseFeatureShape> CriteoLike { get; } = Array.AsReadOnly(new DenseFeatureShape[]
    {
        new(2, 1.6, 0),
        new(30, 1.3, 0.05),
        new(10, 1.5, 0),
        new(5, 2.5, 0),
        new(3000, 1.2, 0),
        new(40, 1.4, 0),
        new(5, 1.5, 0),
        new(8, 2.0, 0),
        new(40, 1.6, 0),
        new(0.5, 3.0, 0),
        new(1.5, 1.8, 0),
        new(0.3, 1.5, 0),
        new(4, 1.7, 0),
    });

    /// <summary>Criteo's integer features fit 32 bits; the Lomax tail would otherwise reach 10¹⁶.</summary>
    private const double LargestCount = int.MaxValue;

    private readonly double _logOnePlusMedian = Math.Log(1 + Scale * (Math.Pow(2, 1 / TailIndex) - 1));

    public double Sample(ref CounterRandom random)
    {
        if (random.NextUnitInterval() <= NegativeOneRate)
            return -1;
        double lomax = Scale * (Math.Pow(random.NextUnitInterval(), -1 / TailIndex) - 1);
        return Math.Min(Math.Floor(lomax), LargestCount);
    }

    /// <summary>
    /// The value as the teacher sees it: log1p of the count, centred on the median and multiplied by α, because
    /// the log of a Lomax count has an exponential tail with scale 1/α; this gives every dense feature a
    /// comparable, roughly unit spread. −1 counts as 0.
    /// </summary>
    public double TeacherSignal(double value) => TailIndex * (Math.Log(1 + Math.Max(value, 0)) - _logOnePlusMedian);
}
