using System.Globalization;
using System.Text;

namespace Recurring.Core.Data;

/// <summary>How a parser quotes offending input in a rejection reason, whatever the format.</summary>
internal static class EventText
{
    /// <summary>Longest slice of the offending input quoted in a reason, so a reason stays a short header.</summary>
    private const int MaxQuotedBytes = 40;

    /// <summary>Quotes at most <see cref="MaxQuotedBytes"/> bytes, escaping anything but printable ASCII.</summary>
    public static string Quote(ReadOnlySpan<byte> value)
    {
        var quoted = new StringBuilder("'");
        foreach (byte b in value[..Math.Min(value.Length, MaxQuotedBytes)])
        {
            if (b is (byte)'\\' or (byte)'\'') quoted.Append('\\').Append((char)b);
            else if (b is >= 0x20 and < 0x7f) quoted.Append((char)b);
            else quoted.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
        }
        if (value.Length > MaxQuotedBytes) quoted.Append(CultureInfo.InvariantCulture, $"...' ({value.Length} bytes)");
        else quoted.Append('\'');
        return quoted.ToString();
    }
}
