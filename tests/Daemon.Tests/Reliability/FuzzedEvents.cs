using System.Text;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>A way to break a click event, and the parser's verdict it must earn.</summary>
public enum Fuzz
{
    RandomBytes,
    RandomFields,
    Empty,
    Tombstone,
    Truncated,
    MissingField,
    ExtraField,
    BadLabel,
    OnlyTabs,
    NonNumericDense,
    OverflowingDense,
    NaNDense,
    InfiniteDense,
    NonHexCategorical,
    InvalidUtf8Categorical,
    InvalidUtf8Line,
}

/// <summary>A bad message: its value (null for a tombstone), how it was made, and the dead-letter kind it must get.</summary>
public sealed record FuzzedEvent(byte[]? Value, Fuzz Fuzz, string ExpectedKind);

/// <summary>
/// Seeded bad payloads, each broken by construction in one known way, so the expected verdict comes from how it was
/// made and not from the parser under test. Finite but huge dense values ("1e308") are valid Criteo numbers (the
/// log transform bounds them near 710): they are not malformed and belong to the numerical-fault scenario.
/// </summary>
public static class FuzzedEvents
{
    private const byte Tab = (byte)'\t';

    public static FuzzedEvent Make(Random random, byte[] goodLine)
    {
        var fuzz = (Fuzz)random.Next(Enum.GetValues<Fuzz>().Length);
        var fields = Split(goodLine);
        switch (fuzz)
        {
            case Fuzz.RandomBytes:
                return new(RandomBytes(random, 1, 300, noTabs: true), fuzz, Kind(EventErrorKind.WrongFieldCount));
            case Fuzz.RandomFields:
            {
                var random40 = Enumerable.Range(0, CriteoLineParser.FieldCount).Select(i => RandomBytes(random, i == 0 ? 2 : 0, 20, noTabs: true)).ToList();
                return new(Join(random40), fuzz, Kind(EventErrorKind.BadLabel));
            }
            case Fuzz.Empty:
                return new([], fuzz, Kind(EventErrorKind.WrongFieldCount));
            case Fuzz.Tombstone:
                return new(null, fuzz, Kind(EventErrorKind.WrongFieldCount));
            case Fuzz.Truncated:
            {
                int lastTab = Array.LastIndexOf(goodLine, Tab);
                return new(goodLine[..random.Next(lastTab)], fuzz, Kind(EventErrorKind.WrongFieldCount));
            }
            case Fuzz.MissingField:
                fields.RemoveAt(random.Next(fields.Count));
                return new(Join(fields), fuzz, Kind(EventErrorKind.WrongFieldCount));
            case Fuzz.ExtraField:
                fields.Insert(random.Next(fields.Count + 1), Ascii(random.Next(2) == 0 ? "" : "1"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.WrongFieldCount));
            case Fuzz.BadLabel:
                fields[0] = Ascii(Pick(random, "", "2", "-1", "01", "yes", " 1", "1.0", "true"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.BadLabel));
            case Fuzz.OnlyTabs:
                return new(Enumerable.Repeat(Tab, CriteoLineParser.FieldCount - 1).ToArray(), fuzz, Kind(EventErrorKind.BadLabel));
            case Fuzz.NonNumericDense:
                fields[Dense(random)] = Ascii(Pick(random, "abc", "1,000", " 5", "0x10", "5a", "--1", "1e", ".", "+", "١٢", "∞"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonNumericDense));
            case Fuzz.OverflowingDense:
                fields[Dense(random)] = Ascii(Pick(random, "1e999", "-1e400", new string('9', 400), "1.7976931348623159e308"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonFiniteDense));
            case Fuzz.NaNDense:
                fields[Dense(random)] = Ascii(Pick(random, "NaN", "-NaN", "nan"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonFiniteDense));
            case Fuzz.InfiniteDense:
                fields[Dense(random)] = Ascii(Pick(random, "Infinity", "-Infinity"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonFiniteDense));
            case Fuzz.NonHexCategorical:
                fields[Categorical(random)] = Ascii(Pick(random, "xyz", "12345678901234567", "g1", "0x1f", "-1", "ab cd"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonHexCategorical));
            case Fuzz.InvalidUtf8Categorical:
                fields[Categorical(random)] = [0xC3, 0x28, (byte)random.Next(0x80, 0x100)];
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonHexCategorical));
            case Fuzz.InvalidUtf8Line:
            {
                var bytes = RandomBytes(random, 1, 200, noTabs: true);
                for (int i = 0; i < bytes.Length; i++) bytes[i] |= 0x80;
                return new(bytes, fuzz, Kind(EventErrorKind.WrongFieldCount));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(random));
        }
    }

    public static string Kind(EventErrorKind kind) => DeadLetterReason.Malformed(kind, "").Kind;

    private static int Dense(Random random) => 1 + random.Next(CriteoRecord.DenseCount);
    private static int Categorical(Random random) => 1 + CriteoRecord.DenseCount + random.Next(CriteoRecord.CategoricalCount);
    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];
    private static byte[] Ascii(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] RandomBytes(Random random, int min, int max, bool noTabs)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        if (noTabs)
            for (int i = 0; i < bytes.Length; i++)
                if (bytes[i] == Tab) bytes[i] = (byte)'x';
        return bytes;
    }

    private static List<byte[]> Split(byte[] line)
    {
        var fields = new List<byte[]>();
        int start = 0;
        for (int i = 0; i <= line.Length; i++)
        {
            if (i < line.Length && line[i] != Tab) continue;
            fields.Add(line[start..i]);
            start = i + 1;
        }
        return fields;
    }

    private static byte[] Join(IReadOnlyList<byte[]> fields)
    {
        var joined = new List<byte>();
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) joined.Add(Tab);
            joined.AddRange(fields[i]);
        }
        return joined.ToArray();
    }
}
