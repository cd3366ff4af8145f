using System.Globalization;

namespace Recurring.Core.Data;

/// <summary>
/// Parses one line of Criteo TSV: <c>label \t I1..I13 \t C1..C26</c>, 40 fields. Works on raw bytes because Kafka
/// messages and files are bytes; invalid UTF-8 is just another malformed field.
/// </summary>
public static class CriteoLineParser
{
    public const int FieldCount = 1 + CriteoRecord.DenseCount + CriteoRecord.CategoricalCount;

    private const int MaxHexDigits = 16;

    // No whitespace, thousands separators or hex: anything looser would accept lines another tool rejects.
    private const NumberStyles DenseStyle =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>
    /// Fills <paramref name="into"/> from <paramref name="utf8Line"/>; a trailing line end ('\n', '\r\n' or '\r', as
    /// producers that write whole lines into Kafka messages leave them) is ignored.
    /// Never throws on bad input and allocates nothing when the line is valid. On failure <paramref name="kind"/>
    /// and <paramref name="reason"/> describe the first bad field and <paramref name="into"/> is partly overwritten;
    /// on success they carry no meaning.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Line, CriteoRecord into, out EventErrorKind kind, out string reason)
    {
        ArgumentNullException.ThrowIfNull(into);
        var rest = utf8Line is [.., (byte)'\n'] ? utf8Line[..^1] : utf8Line;
        if (rest is [.., (byte)'\r']) rest = rest[..^1];

        int fields = rest.Count((byte)'\t') + 1;
        if (fields != FieldCount)
            return Fail(EventErrorKind.WrongFieldCount, $"expected {FieldCount} tab-separated fields, found {fields}", out kind, out reason);

        var label = NextField(ref rest);
        if (label is not ([(byte)'0'] or [(byte)'1']))
            return Fail(EventErrorKind.BadLabel, Describe(0, label, "is not 0 or 1"), out kind, out reason);
        into.Label = label[0] == (byte)'1';

        for (int i = 0; i < CriteoRecord.DenseCount; i++)
        {
            var field = NextField(ref rest);
            if (field.IsEmpty)
            {
                into.Dense[i] = null;
                continue;
            }
            if (!TryParseSmallInteger(field, out double value) && !double.TryParse(field, DenseStyle, CultureInfo.InvariantCulture, out value))
                return Fail(EventErrorKind.NonNumericDense, Describe(1 + i, field, "is not a number"), out kind, out reason);
            if (!double.IsFinite(value))
                return Fail(EventErrorKind.NonFiniteDense, Describe(1 + i, field, "is not a finite number"), out kind, out reason);
            into.Dense[i] = value;
        }

        for (int i = 0; i < CriteoRecord.CategoricalCount; i++)
        {
            var field = NextField(ref rest);
            if (field.IsEmpty)
            {
                into.Categorical[i] = null;
                continue;
            }
            if (!TryParseHex(field, out ulong value))
            {
                return Fail(EventErrorKind.NonHexCategorical,
                    Describe(1 + CriteoRecord.DenseCount + i, field, $"is not 1 to {MaxHexDigits} hex digits"), out kind, out reason);
            }
            into.Categorical[i] = value;
        }

        kind = default;
        reason = string.Empty;
        return true;
    }

    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> rest)
    {
        int tab = rest.IndexOf((byte)'\t');
        if (tab < 0)
        {
            var last = rest;
            rest = default;
            return last;
        }
        var field = rest[..tab];
        rest = rest[(tab + 1)..];
        return field;
    }

    /// <summary>
    /// Criteo's dense values are small integers; parsing those directly makes a typical line about a third faster.
    /// Up to 15 digits fit a double exactly, so the result equals the general parser's, "-0" included.
    /// </summary>
    private static bool TryParseSmallInteger(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        bool negative = text is [(byte)'-', ..];
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 15) return false;
        long magnitude = 0;
        foreach (byte digit in digits)
        {
            if ((uint)(digit - '0') > 9) return false;
            magnitude = magnitude * 10 + (digit - '0');
        }
        value = negative ? -(double)magnitude : magnitude;
        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.Length > MaxHexDigits) return false;
        foreach (byte digit in digits)
        {
            int nibble;
            if ((uint)(digit - '0') <= 9) nibble = digit - '0';
            else if ((uint)((digit | 0x20) - 'a') <= 5) nibble = (digit | 0x20) - 'a' + 10; // | 0x20 lowercases A-F
            else return false;
            value = value << 4 | (uint)nibble;
        }
        return true;
    }

    private static bool Fail(EventErrorKind failure, string description, out EventErrorKind kind, out string reason)
    {
        kind = failure;
        reason = description;
        return false;
    }

    /// <summary>E.g. "field 5 (dense I4): 'abc' is not a number".</summary>
    private static string Describe(int fieldIndex, ReadOnlySpan<byte> value, string problem) =>
        $"field {fieldIndex + 1} ({FieldName(fieldIndex)}): {EventText.Quote(value)} {problem}";

    private static string FieldName(int fieldIndex) => fieldIndex switch
    {
        0 => "label",
        <= CriteoRecord.DenseCount => $"dense I{fieldIndex}",
        _ => $"categorical C{fieldIndex - CriteoRecord.DenseCount}",
    };
}
