namespace Recurring.Core.Data.Synthetic;

/// <summary>The family of values a synthetic dense feature takes.</summary>
public enum SyntheticDenseShape
{
    /// <summary>A heavy-tailed count ⌊λ(U^(−1/α) − 1)⌋ (a discretised Lomax, or Pareto II, variable), like Criteo's columns.</summary>
    Count,

    /// <summary>A real number μ + σ·g with g standard normal: a measurement on an arbitrary scale.</summary>
    Gaussian,

    /// <summary>A uniform number in (0, 1]: a rate or share, already on the model's scale.</summary>
    Share,
}

/// <summary>
/// The distribution of one synthetic dense feature, and the value as the teacher sees it: every shape gives the
/// teacher a signal of roughly unit spread, so no feature dominates its score by its units alone.
/// </summary>
internal readonly struct DenseFeatureShape
{
    /// <summary>Magnitudes loosely following Criteo's I1..I13 (for example I5's counts run into the thousands, I10 is mostly 0).</summary>
    public static IReadOnlyList<DenseFeatureShape> CriteoLike { get; } = Array.AsReadOnly(new[]
    {
        Count(2, 1.6),
        Count(30, 1.3, negativeOneRate: 0.05),
        Count(10, 1.5),
        Count(5, 2.5),
        Count(3000, 1.2),
        Count(40, 1.4),
        Count(5, 1.5),
        Count(8, 2.0),
        Count(40, 1.6),
        Count(0.5, 3.0),
        Count(1.5, 1.8),
        Count(0.3, 1.5),
        Count(4, 1.7),
    });

    /// <summary>Criteo's integer features fit 32 bits; the Lomax tail would otherwise reach 10¹⁶.</summary>
    private const double LargestCount = int.MaxValue;

    /// <summary>The standard deviation of a uniform variable on an interval of length 1.</summary>
    private static readonly double UniformStandardDeviation = Math.Sqrt(1.0 / 12);

    // Count: λ, α, the rate of −1 and log(1 + median). Gaussian: μ and σ. Share: none.
    private readonly double _first;
    private readonly double _second;
    private readonly double _negativeOneRate;
    private readonly double _centre;

    private DenseFeatureShape(SyntheticDenseShape shape, double first, double second, double negativeOneRate, double centre)
    {
        Shape = shape;
        _first = first;
        _second = second;
        _negativeOneRate = negativeOneRate;
        _centre = centre;
    }

    public SyntheticDenseShape Shape { get; }

    /// <param name="scale">λ: roughly where the tail starts.</param>
    /// <param name="tailIndex">α: smaller is heavier; the mean is λ / (α − 1) for α &gt; 1.</param>
    /// <param name="negativeOneRate">Probability of the value −1, as in Criteo's second column.</param>
    public static DenseFeatureShape Count(double scale, double tailIndex, double negativeOneRate = 0) =>
        new(SyntheticDenseShape.Count, scale, tailIndex, negativeOneRate, Math.Log(1 + scale * (Math.Pow(2, 1 / tailIndex) - 1)));

    public static DenseFeatureShape Gaussian(double mean, double standardDeviation) =>
        new(SyntheticDenseShape.Gaussian, mean, standardDeviation, 0, 0);

    public static DenseFeatureShape Share() => new(SyntheticDenseShape.Share, 0, 0, 0, 0);

    public double Sample(ref CounterRandom random)
    {
        switch (Shape)
        {
            case SyntheticDenseShape.Count:
                if (random.NextUnitInterval() <= _negativeOneRate)
                    return -1;
                double lomax = _first * (Math.Pow(random.NextUnitInterval(), -1 / _second) - 1);
                return Math.Min(Math.Floor(lomax), LargestCount);
            case SyntheticDenseShape.Gaussian:
                // Box–Muller rather than the teacher's cheap bounded Gaussian, whose 2¹⁸ levels would show as repeated values.
                double radius = Math.Sqrt(-2 * Math.Log(random.NextUnitInterval()));
                return _first + _second * radius * Math.Cos(2 * Math.PI * random.NextUnitInterval());
            default:
                return random.NextUnitInterval();
        }
    }

    /// <summary>
    /// The value as the teacher sees it. A count: log1p of the count, centred on the median and multiplied by α,
    /// because the log of a Lomax count has an exponential tail with scale 1/α (−1 counts as 0). A Gaussian: its
    /// standard score. A share: centred and divided by its standard deviation.
    /// </summary>
    public double TeacherSignal(double value) => Shape switch
    {
        SyntheticDenseShape.Count => _second * (Math.Log(1 + Math.Max(value, 0)) - _centre),
        SyntheticDenseShape.Gaussian => (value - _first) / _second,
        _ => (value - 0.5) / UniformStandardDeviation,
    };
}
