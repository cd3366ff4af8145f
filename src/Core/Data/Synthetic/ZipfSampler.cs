namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Draws ranks 1..n with P(k) ∝ k^(−s) by rejection-inversion (Hörmann &amp; Derflinger, 1996).
/// </summary>
/// <remarks>
/// Chosen over a precomputed inverse-CDF table because Criteo-like tables have millions of values: a table would
/// cost megabytes per categorical feature and a cache-missing binary search per draw, whereas rejection-inversion
/// needs no memory and, on average, about one uniform number, one logarithm and one exponential per draw.
/// <para>
/// With h(x) = x^(−s) and its antiderivative H, the intervals (H(k + ½) − h(k), H(k + ½)] have length h(k) and,
/// because h is convex, do not overlap. A uniform u over their hull, mapped back by H⁻¹ and rounded, names the
/// only interval that can contain it; u is accepted when it does, which happens with probability ∝ h(k).
/// Rejections are rare, so the expected number of draws per sample is barely above one.
/// </para>
/// </remarks>
internal sealed class ZipfSampler
{
    private readonly double _oneMinusExponent;
    private readonly double _exponent;
    private readonly double _hullStart;
    private readonly double _hullEnd;

    /// <summary>
    /// When x lies within this distance below its rounded rank, u is inside the rank's interval without evaluating
    /// H: the margin is tightest at rank 2 (and rank 1's interval fills its whole share of the hull).
    /// </summary>
    private readonly double _acceptWithoutCheck;

    public ZipfSampler(int cardinality, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cardinality, 1);
        if (!(exponent > 0) || double.IsInfinity(exponent))
            throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "The Zipf exponent must be positive and finite.");

        Cardinality = cardinality;
        _exponent = exponent;
        _oneMinusExponent = 1 - exponent;
        _hullStart = H(1.5) - 1;
        _hullEnd = H(cardinality + 0.5);
        _acceptWithoutCheck = 2 - InverseH(H(2.5) - Density(2));
    }

    public int Cardinality { get; }

    /// <summary>A rank in [1, <see cref="Cardinality"/>]; rank 1 is the most frequent.</summary>
    public int Sample(ref CounterRandom random)
    {
        while (true)
        {
            double u = _hullEnd + random.NextUnitInterval() * (_hullStart - _hullEnd);
            double x = InverseH(u);
            int rank = (int)Math.Clamp(x + 0.5, 1, Cardinality);
            if (rank - x <= _acceptWithoutCheck || u >= H(rank + 0.5) - Density(rank))
                return rank;
        }
    }

    private double Density(double x) => Math.Exp(-_exponent * Math.Log(x));

    /// <summary>H(x) = (x^(1−s) − 1) / (1 − s), written so that it stays accurate (and becomes ln x) as s → 1.</summary>
    private double H(double x)
    {
        double logX = Math.Log(x);
        return ExpMinusOneOver(_oneMinusExponent * logX) * logX;
    }

    /// <summary>H⁻¹(y) = (1 + (1 − s) y)^(1 / (1 − s)), accurate as s → 1 where it becomes e^y.</summary>
    private double InverseH(double y)
    {
        // Rounding can push the base of the power just below zero at the very start of the hull.
        double t = Math.Max(_oneMinusExponent * y, -1);
        return Math.Exp(LogOnePlusOver(t) * y);
    }

    /// <summary>
    /// (eᵗ − 1) / t without cancellation for small t (Kahan's expm1 trick): the rounding error of eᵗ cancels
    /// between numerator and denominator.
    /// </summary>
    private static double ExpMinusOneOver(double t)
    {
        double e = Math.Exp(t);
        if (e == 1)
            return 1;
        double eMinusOne = e - 1;
        return eMinusOne == -1 ? -1 / t : eMinusOne / Math.Log(e);
    }

    /// <summary>ln(1 + t) / t without cancellation for small t (Goldberg's log1p trick).</summary>
    private static double LogOnePlusOver(double t)
    {
        double onePlusT = 1 + t;
        return onePlusT == 1 ? 1 : Math.Log(onePlusT) / (onePlusT - 1);
    }
}
