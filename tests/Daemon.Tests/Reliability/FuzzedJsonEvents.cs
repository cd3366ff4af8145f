using System.Text;
using System.Text.Json;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>A way to break a JSON click event.</summary>
public enum JsonFuzz
{
    RandomBytes,
    Empty,
    Tombstone,
    Truncated,
    TrailingGarbage,
    NotAnObject,
    InvalidUtf8,
    BrokenEscape,
    NaNLiteral,
    DeepNesting,
    MissingLabel,
    BadLabel,
    NonNumericDense,
    NonFiniteDense,
    WrongTypeDense,
    WrongTypeSparse,
    HugeInteger,
    ArrayOnSingleValued,
}

/// <summary>A bad JSON message: its value (null for a tombstone), how it was made, and the dead-letter kind it must get.</summary>
public sealed record FuzzedJsonEvent(byte[]? Value, JsonFuzz Fuzz, string ExpectedKind);

/// <summary>
/// Seeded bad JSON events under the Criteo preset's names (label, I1-I13, C1-C26), each broken by construction in
/// exactly one known way, so the expected verdict comes from how it was made and not from the parser under test. An
/// eighth start from a whole good event, the rest from a small one holding only the label (missing features are
/// valid): the mock broker keeps about 5 MiB per partition. Good events are varied too (<see cref="Vary"/>), in ways the
/// format allows.
/// </summary>
public static class FuzzedJsonEvents
{
    public static FuzzedJsonEvent Make(Random random, byte[] goodEvent)
    {
        var fuzz = (JsonFuzz)random.Next(Enum.GetValues<JsonFuzz>().Length);
        var fields = random.Next(8) == 0 ? Fields(goodEvent) : [("label", random.Next(2) == 0 ? "0" : "1")];
        switch (fuzz)
        {
            case JsonFuzz.RandomBytes:
            {
                // Only an object can be an event: random bytes that do not start one never are.
                var bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                if (bytes[0] == (byte)'{') bytes[0] = (byte)'}';
                return Malformed(bytes, fuzz);
            }
            case JsonFuzz.Empty:
                return Malformed([], fuzz);
            case JsonFuzz.Tombstone:
                return new(null, fuzz, Kind(EventErrorKind.MalformedJson));
            case JsonFuzz.Truncated:
            {
                // A JSON object's text is complete only at its last byte.
                var whole = Join(fields);
                return Malformed(whole[..random.Next(whole.Length - 1)], fuzz);
            }
            case JsonFuzz.TrailingGarbage:
                return Malformed([.. Join(fields), .. Ascii(Pick(random, " x", "{}", ",", " 1", "]"))], fuzz);
            case JsonFuzz.NotAnObject:
                return Malformed(Ascii(Pick(random, "[1, 2]", "1", "\"label\"", "null", "true", "[{\"label\": 1}]")), fuzz);
            case JsonFuzz.InvalidUtf8:
                fields.Insert(random.Next(fields.Count + 1), ("note", "\"caf\u00c3\u0028\""));
                return Malformed(Latin1Where(Join(fields), "caf\u00c3\u0028"), fuzz);
            case JsonFuzz.BrokenEscape:
            {
                // A lone surrogate is only unescaped, and refused, where a feature reads the string; an unknown key's is skipped.
                var (key, value) = random.Next(4) == 0 ? ("C3", "\"\\ud800\"") : (Pick(random, "note", "C3"), Pick(random, "\"\\x41\"", "\"\\u12\"", "\"tab\there\""));
                Set(fields, key, value);
                return Malformed(Join(fields), fuzz);
            }
            case JsonFuzz.NaNLiteral:
                Set(fields, $"I{1 + random.Next(13)}", Pick(random, "NaN", "Infinity", "-Infinity", "nan"));
                return Malformed(Join(fields), fuzz);
            case JsonFuzz.DeepNesting:
            {
                int depth = random.Next(65, 400);
                fields.Insert(random.Next(fields.Count + 1), ("context", new string('[', depth) + new string(']', depth)));
                return Malformed(Join(fields), fuzz);
            }
            case JsonFuzz.MissingLabel:
                if (random.Next(2) == 0) fields.RemoveAll(f => f.Key == "label");
                else Set(fields, "label", "null");
                if (fields.Count == 0) fields.Add(("I1", "1"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.MissingLabel));
            case JsonFuzz.BadLabel:
                Set(fields, "label", Pick(random, "2", "-1", "0.5", "\"yes\"", "\"\"", "\"1.0\"", "\" 1\"", "[1]", "{}", "1e999"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.BadLabel));
            case JsonFuzz.NonNumericDense:
                Set(fields, $"I{1 + random.Next(13)}", Pick(random, "\"abc\"", "\"1,000\"", "\" 5\"", "\"0x10\"", "\"NaN\"", "\"Infinity\"", "\"\"", "\"1e\"", "\"\u0661\""));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonNumericDense));
            case JsonFuzz.NonFiniteDense:
                Set(fields, $"I{1 + random.Next(13)}", Pick(random, "1e999", "-1e400", new string('9', 400), "\"1e999\"", "\"-1.7976931348623159e308\""));
                return new(Join(fields), fuzz, Kind(EventErrorKind.NonFiniteDense));
            case JsonFuzz.WrongTypeDense:
                Set(fields, $"I{1 + random.Next(13)}", Pick(random, "true", "false", "[1]", "{\"v\": 1}", "[]"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.WrongType));
            case JsonFuzz.WrongTypeSparse:
                Set(fields, $"C{1 + random.Next(26)}", Pick(random, "1.5", "1e3", "-0.0", "true", "{}", "[[1]]", "[{\"id\": 1}]", "[false]"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.WrongType));
            case JsonFuzz.HugeInteger:
                Set(fields, $"C{1 + random.Next(26)}", Pick(random, "18446744073709551616", "-9223372036854775809", new string('7', 400), "[99999999999999999999]"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.IntegerOutOfRange));
            case JsonFuzz.ArrayOnSingleValued:
                Set(fields, $"C{1 + random.Next(26)}", Pick(random, "[1, 2]", "[\"a\", \"b\", \"c\"]", "[1, null, \"x\"]", "[7, true]"));
                return new(Join(fields), fuzz, Kind(EventErrorKind.TooManyValues));
            default:
                throw new ArgumentOutOfRangeException(nameof(random));
        }
    }

    /// <summary>
    /// The same event written another valid way: the label as true/false or a string, dense values as numeric strings,
    /// single values in arrays of one, nulls for missing values, unknown keys holding nested values, keys escaped.
    /// </summary>
    public static byte[] Vary(Random random, byte[] goodEvent)
    {
        var fields = Fields(goodEvent);
        for (int i = 0; i < fields.Count; i++)
        {
            var (key, raw) = fields[i];
            if (random.Next(4) != 0) continue;
            if (key == "label") raw = random.Next(2) == 0 ? (raw == "1" ? "true" : "false") : $"\"{raw}\"";
            else if (key.StartsWith('I')) raw = $"\"{raw}\"";
            else raw = random.Next(2) == 0 ? $"[{raw}]" : $"[null, {raw}]";
            fields[i] = (random.Next(8) == 0 ? $"\\u00{(int)key[0]:x2}{key[1..]}" : key, raw);
        }
        fields.Insert(random.Next(fields.Count + 1), ("session", "{\"pages\": [1, {\"x\": [true, null]}], \"id\": \"s\\u00e9\"}"));
        if (random.Next(2) == 0) fields.Add(($"C{1 + random.Next(26)}", "null"));
        return Join(fields);
    }

    private static FuzzedJsonEvent Malformed(byte[] value, JsonFuzz fuzz) => new(value, fuzz, Kind(EventErrorKind.MalformedJson));

    public static string Kind(EventErrorKind kind) => DeadLetterReason.KindOf(kind);

    /// <summary>An event's keys with their values' raw JSON text, in order.</summary>
    private static List<(string Key, string Raw)> Fields(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetRawText())).ToList();
    }

    /// <summary>Replaces a key's value, or adds the key.</summary>
    private static void Set(List<(string Key, string Raw)> fields, string key, string raw)
    {
        int at = fields.FindIndex(f => f.Key == key);
        if (at >= 0) fields[at] = (key, raw);
        else fields.Insert(fields.Count, (key, raw));
    }

    private static byte[] Join(List<(string Key, string Raw)> fields) =>
        Encoding.UTF8.GetBytes("{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Raw}")) + "}");

    /// <summary>The UTF-8 text with <paramref name="marker"/> written byte for byte as its Latin-1 code points: invalid UTF-8.</summary>
    private static byte[] Latin1Where(byte[] utf8, string marker)
    {
        var text = Encoding.UTF8.GetString(utf8);
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(text[..at]), .. Encoding.Latin1.GetBytes(marker), .. Encoding.UTF8.GetBytes(text[(at + marker.Length)..])];
    }

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];
    private static byte[] Ascii(string text) => Encoding.UTF8.GetBytes(text);
}
