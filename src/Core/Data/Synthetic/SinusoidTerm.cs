namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// A capacity-hungry part of the teacher's score: strength · √(2/H) · Σₕ cₕ sin(⟨uₕ, f(x)⟩ + φₕ) over H random directions uₕ of
/// the D dense signals (length ω, the angular frequency), with Gaussian amplitudes cₕ and uniform phases φₕ; for the
/// odd h the phase is shifted by a uniform draw per value of one small single-valued table, a dense × categorical
/// interaction of rank H that a model's low-dimensional dot products cannot hold, so its MLPs must.
/// </summary>
internal sealed class SinusoidTerm
{
    private readonly double _coefficient;
    private readonly double[][] _directions;
    private readonly double[] _amplitudes;
    private readonly double[] _phases;
    private readonly int _phaseTable;
    private readonly ulong _phaseKey;

    /// <param name="key">The term's own random stream: two terms with different keys are independent draws.</param>
    /// <param name="phaseTable">The small table whose values shift the odd units' phases; −1 for none.</param>
    public SinusoidTerm(ulong key, double strength, int units, double frequency, int denseCount, int phaseTable)
    {
        // √2 because a sinusoid with a uniform phase has variance ½.
        _coefficient = strength * Math.Sqrt(2.0 / units);
        _directions = Enumerable.Range(0, units).Select(unit =>
        {
            ulong unitKey = CounterHash.Derive(key, (ulong)unit);
            var direction = Enumerable.Range(0, denseCount).Select(feature => CounterHash.GaussianAt(unitKey, (ulong)feature)).ToArray();
            double length = Math.Sqrt(direction.Sum(d => d * d));
            return direction.Select(d => frequency * d / length).ToArray();
        }).ToArray();
        _amplitudes = Enumerable.Range(0, units)
            .Select(unit => CounterHash.GaussianAt(CounterHash.Derive(key, (ulong)unit), (ulong)denseCount)).ToArray();
        _phases = Enumerable.Range(0, units)
            .Select(unit => 2 * Math.PI * CounterHash.ToUnitInterval(CounterHash.At(CounterHash.Derive(key, (ulong)unit), (ulong)denseCount + 1))).ToArray();
        _phaseTable = phaseTable;
        _phaseKey = CounterHash.Derive(key, ulong.MaxValue);
    }

    /// <summary>The term for dense <paramref name="signals"/> and the phase table's value in <paramref name="features"/>; spread about the strength.</summary>
    public double Value<TFeatures>(ReadOnlySpan<double> signals, TFeatures features) where TFeatures : ISyntheticEventFeatures
    {
        ulong? valueKey = _phaseTable >= 0 && features.Count(_phaseTable) > 0 && features.TryValue(_phaseTable, 0, out ulong id)
            ? CounterHash.Derive(_phaseKey, id)
            : null;
        double sum = 0;
        for (int unit = 0; unit < _directions.Length; unit++)
        {
            var direction = _directions[unit];
            double projection = 0;
            for (int feature = 0; feature < signals.Length; feature++)
                projection += direction[feature] * signals[feature];
            double phase = _phases[unit];
            if (unit % 2 == 1 && valueKey is { } key)
                phase += 2 * Math.PI * CounterHash.ToUnitInterval(CounterHash.At(key, (ulong)unit));
            sum += _amplitudes[unit] * Math.Sin(projection + phase);
        }
        return _coefficient * sum;
    }
}
