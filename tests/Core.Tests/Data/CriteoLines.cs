using System.Text;

namespace Recurring.Core.Tests.Data;

/// <summary>Builds Criteo TSV lines for tests: a known-good line, or one with a single field replaced.</summary>
internal static class CriteoLines
{
    public const string Valid =
        "1\t5\t\t-3\t0.5\t1e3\t\t\t\t\t\t\t\t7\t" +
        "68fd1e64\t\tFFFFFFFFFFFFFFFF\t0\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t0000abcd";

    /// <param name="field">1-based: 1 is the label, 2..14 are I1..I13, 15..40 are C1..C26.</param>
    public static string WithField(int field, string value)
    {
        var fields = Valid.Split('\t');
        fields[field - 1] = value;
        return string.Join('\t', fields);
    }

    public static byte[] Utf8(string line) => Encoding.UTF8.GetBytes(line);
}
