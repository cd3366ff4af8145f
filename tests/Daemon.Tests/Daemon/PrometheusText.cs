using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Daemon;

internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

internal sealed record PrometheusFamily(string Name, string Type, string Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4: every family has one HELP and one TYPE line
/// before its samples, its samples form one group, names and label names follow the grammar, label values use only
/// the format's escapes, every value parses (NaN and ±Inf included), and no series appears twice. Any deviation
/// throws <see cref="FormatException"/> naming the line.
/// </summary>
internal static partial class PrometheusText
{
    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyDictionary<string, PrometheusFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("The exposition does not end with a line feed.");
        var help = new Dictionary<string, string>();
        var types = new Dictionary<string, string>();
        var samples = new Dictionary<string, List<PrometheusSample>>();
        var series = new HashSet<string>();
        string? current = null;
        var lines = text.Split('\n')[..^1];
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string where = $"line {i + 1} '{line}'";
            if (line.Contains('\r')) throw new FormatException($"{where}: carriage return.");
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[1] is not ("HELP" or "TYPE")) continue; // a plain comment
                string name = RequireName(parts[2], where);
                if (samples.ContainsKey(name)) throw new FormatException($"{where}: {parts[1]} after the family's samples.");
                string argument = parts.Length == 4 ? parts[3] : "";
                if (parts[1] == "HELP")
                {
                    if (!help.TryAdd(name, Unescape(argument, quoted: false, where))) throw new FormatException($"{where}: a second HELP line.");
                }
                else if (!Types.Contains(argument) || !types.TryAdd(name, argument))
                {
                    throw new FormatException($"{where}: an unknown type or a second TYPE line.");
                }
                continue;
            }

            var sample = ParseSample(line, where);
            string family = FamilyOf(sample, types, where);
            if (family != current && samples.ContainsKey(family)) throw new FormatException($"{where}: the samples of {family} are not one group.");
            current = family;
            if (!series.Add(sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}"))
                throw new FormatException($"{where}: the same series twice.");
            (samples.TryGetValue(family, out var list) ? list : samples[family] = []).Add(sample);
        }

        foreach (var name in help.Keys.Union(types.Keys).Union(samples.Keys))
        {
            if (!help.ContainsKey(name)) throw new FormatException($"{name} has no HELP line.");
            if (!types.ContainsKey(name)) throw new FormatException($"{name} has no TYPE line.");
        }
        return help.Keys.ToDictionary(name => name, name => new PrometheusFamily(name, types[name], help[name], samples.GetValueOrDefault(name) ?? []));
    }

    private static string FamilyOf(PrometheusSample sample, Dictionary<string, string> types, string where)
    {
        if (types.ContainsKey(sample.Name) && types[sample.Name] is not "histogram") return sample.Name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (!sample.Name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string family = sample.Name[..^suffix.Length];
            if (types.GetValueOrDefault(family) is "histogram" || (types.GetValueOrDefault(family) is "summary" && suffix != "_bucket")) return family;
        }
        throw new FormatException($"{where}: no TYPE line declared {sample.Name} before it.");
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        int nameEnd = line.IndexOfAny(['{', ' ']);
        if (nameEnd <= 0) throw new FormatException($"{where}: no value.");
        string name = RequireName(line[..nameEnd], where);
        var labels = new Dictionary<string, string>();
        int at = nameEnd;
        if (line[at] == '{')
        {
            at++;
            while (line[at] != '}')
            {
                int equals = line.IndexOf('=', at);
                if (equals < 0) throw new FormatException($"{where}: a label without '='.");
                string label = line[at..equals];
                if (!LabelName().IsMatch(label) || label.StartsWith("__", StringComparison.Ordinal)) throw new FormatException($"{where}: bad label name '{label}'.");
                if (equals + 1 >= line.Length || line[equals + 1] != '"') throw new FormatException($"{where}: label value not quoted.");
                int end = equals + 2;
                while (end < line.Length && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
                if (end >= line.Length) throw new FormatException($"{where}: unterminated label value.");
                if (!labels.TryAdd(label, Unescape(line[(equals + 2)..end], quoted: true, where))) throw new FormatException($"{where}: label {label} twice.");
                at = end + 1;
                if (at >= line.Length) throw new FormatException($"{where}: unterminated label set.");
                if (line[at] == ',') at++;
                else if (line[at] != '}') throw new FormatException($"{where}: expected ',' or '}}' after a label.");
            }
            at++;
        }
        if (at >= line.Length || line[at] != ' ') throw new FormatException($"{where}: expected a space before the value.");
        var rest = line[(at + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2) throw new FormatException($"{where}: expected a value and at most a timestamp.");
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"{where}: bad timestamp.");
        return new PrometheusSample(name, labels, ParseValue(rest[0], where));
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ when double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double value)
               && double.IsFinite(value) => value,
        _ => throw new FormatException($"{where}: '{text}' is not a sample value."),
    };

    private static string RequireName(string name, string where) =>
        MetricName().IsMatch(name) ? name : throw new FormatException($"{where}: '{name}' is not a metric name.");

    /// <summary>HELP text may escape backslash and line feed; label values also the double quote.</summary>
    private static string Unescape(string text, bool quoted, string where)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                if (quoted && text[i] == '"') throw new FormatException($"{where}: unescaped quote.");
                result.Append(text[i]);
                continue;
            }
            char next = ++i < text.Length ? text[i] : throw new FormatException($"{where}: a trailing backslash.");
            result.Append(next switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when quoted => '"',
                _ => throw new FormatException($"{where}: unknown escape '\\{next}'."),
            });
        }
        return result.ToString();
    }
}
