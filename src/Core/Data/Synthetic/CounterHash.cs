namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Stateless 64-bit hashing that stands in for a random number generator. Every random quantity the synthetic
/// data needs is a pure function of a key derived from (seed, event index, stream) or (seed, table, ID,
/// component), so any event can be produced on its own, in any order or in parallel, with the same result.
/// </summary>
internal static class CounterHash
{
    /// <summary>2^64 / golden ratio: SplitMix64's increment, odd so successive counters never repeat.</summary>
    private const ulong Golden = 0x9E3779B97F4A7C15;

    /// <summary>Scales 53 random bits onto the unit interval.</summary>
    private const double UnitPerBit = 1.0 / (1UL << 53);

    /// <summary>Standard deviation of a sum of four independent uniform 16-bit lanes.</summary>
    private static readonly double FourLaneSumStandardDeviation = Math.Sqrt((65536.0 * 65536.0 - 1) / 3);

    /// <summary>SplitMix64's finalizer: a bijection of 64-bit values in which every input bit affects every output bit.</summary>
    public static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }

    /// <summary>
    /// A child key for <paramref name="value"/> under <paramref name="key"/>. The value is mixed before it meets
    /// the key so that small, structured values (event indices, table numbers) give unrelated children.
    /// </summary>
    public static ulong Derive(ulong key, ulong value) => Mix(key ^ Mix(value + Golden));

    /// <summary>The <paramref name="index"/>-th draw of the stream keyed by <paramref name="key"/> (SplitMix64 started at the key).</summary>
    public static ulong At(ulong key, ulong index) => Mix(key + (index + 1) * Golden);

    /// <summary>A uniform number in (0, 1]; zero is excluded so logarithms and negative powers stay finite.</summary>
    public static double ToUnitInterval(ulong bits) => ((bits >> 11) + 1) * UnitPerBit;

    /// <summary>
    /// An approximately standard normal number with exactly zero mean and unit variance: the centred sum of the
    /// four 16-bit lanes of <paramref name="bits"/> (Irwin–Hall). It is bounded by ±3.46, which the teacher's
    /// weights do not mind, and it costs no logarithm, square root or trigonometry, which matters because the
    /// teacher draws about a hundred of them per event.
    /// </summary>
    public static double ToApproximateGaussian(ulong bits)
    {
        ulong laneSum = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48);
        return (laneSum - 2 * 65535.0) / FourLaneSumStandardDeviation;
    }

    /// <summary><see cref="ToApproximateGaussian"/> of the <paramref name="index"/>-th draw under <paramref name="key"/>.</summary>
    public static double GaussianAt(ulong key, ulong index) => ToApproximateGaussian(At(key, index));
}

/// <summary>
/// A sequence of draws addressed by a key: the n-th draw is <see cref="CounterHash.At"/>(key, n). It holds only a
/// counter, so a stream for (seed, event, feature) is recreated from its key whenever it is needed.
/// </summary>
internal struct CounterRandom(ulong key)
{
    private ulong _drawn;

    public ulong NextBits() => CounterHash.At(key, _drawn++);

    /// <summary>A uniform number in (0, 1].</summary>
    public double NextUnitInterval() => CounterHash.ToUnitInterval(NextBits());
}
