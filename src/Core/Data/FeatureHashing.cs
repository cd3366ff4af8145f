using System.Text;

namespace Recurring.Core.Data;

/// <summary>
/// The stable map from a sparse value to an embedding row (docs/features.md, "Hashing", has the same text and test
/// vectors for other languages). Trained tables are only meaningful under exactly these formulas, so they never change.
/// <list type="number">
/// <item>Canonical bytes: the feature name in UTF-8, one 0x00 byte, a kind byte (0x01 integer, 0x02 string), then
/// the value: an integer as its 8 bytes little-endian (two's complement; an unsigned 64-bit id gives the same bits),
/// a string as its UTF-8 bytes exactly as given (no normalisation, no terminator).</item>
/// <item><c>h</c> = FNV-1a 64 of those bytes: start at 0xCBF29CE484222325; per byte <c>h ^= b; h *= 0x100000001B3</c>
/// (wrapping, 64-bit).</item>
/// <item>SplitMix64's finaliser: <c>h ^= h &gt;&gt; 30; h *= 0xBF58476D1CE4E5B9; h ^= h &gt;&gt; 27;
/// h *= 0x94D049BB133111EB; h ^= h &gt;&gt; 31</c>.</item>
/// <item>Row: <c>1 + h mod (rows - 1)</c>, unsigned; a missing value gets row 0.</item>
/// </list>
/// </summary>
public static class FeatureHashing
{
    private const ulong FnvOffsetBasis = 0xCBF29CE484222325UL;
    private const ulong FnvPrime = 0x100000001B3UL;

    /// <summary>The FNV-1a state after a feature's name and the 0x00 separator: what every value of that feature continues from.</summary>
    public static ulong FeaturePrefix(string feature)
    {
        ulong h = Fnv(FnvOffsetBasis, Encoding.UTF8.GetBytes(feature));
        return Fnv(h, 0);
    }

    public static ulong Hash(string feature, long value) => HashInteger(FeaturePrefix(feature), value);

    public static ulong Hash(string feature, ReadOnlySpan<byte> utf8) => HashString(FeaturePrefix(feature), utf8);

    public static ulong Hash(string feature, string value) => Hash(feature, Encoding.UTF8.GetBytes(value));

    /// <param name="prefix">From <see cref="FeaturePrefix"/>.</param>
    public static ulong HashInteger(ulong prefix, long value)
    {
        ulong h = Fnv(prefix, (byte)SparseValueKind.Integer);
        // The 8 bytes little-endian, lowest first, without a buffer (this is on every event's path).
        for (int shift = 0; shift < 64; shift += 8) h = Fnv(h, (byte)((ulong)value >> shift));
        return Finalise(h);
    }

    /// <param name="prefix">From <see cref="FeaturePrefix"/>.</param>
    public static ulong HashString(ulong prefix, ReadOnlySpan<byte> utf8) =>
        Finalise(Fnv(Fnv(prefix, (byte)SparseValueKind.String), utf8));

    public static ulong Hash(ulong prefix, SparseValue value) =>
        value.Kind == SparseValueKind.Integer ? HashInteger(prefix, value.Integer) : HashString(prefix, value.Utf8);

    /// <summary>The row of a present value's hash in a table of <paramref name="rows"/> rows (at least 2).</summary>
    public static long RowOf(ulong hash, int rows) => 1 + (long)(hash % (ulong)(rows - 1));

    private static ulong Fnv(ulong h, byte b)
    {
        unchecked
        {
            return (h ^ b) * FnvPrime;
        }
    }

    private static ulong Fnv(ulong h, ReadOnlySpan<byte> bytes)
    {
        unchecked
        {
            foreach (byte b in bytes) h = (h ^ b) * FnvPrime;
            return h;
        }
    }

    private static ulong Finalise(ulong x)
    {
        unchecked
        {
            x ^= x >> 30;
            x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 27;
            x *= 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return x;
        }
    }
}
