using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>A systemd unit file read as sections of (possibly repeated) settings, as systemd reads it.</summary>
internal sealed partial class SystemdUnit
{
    private readonly Dictionary<string, List<KeyValuePair<string, string>>> sections;

    private SystemdUnit(Dictionary<string, List<KeyValuePair<string, string>>> sections) => this.sections = sections;

    public static SystemdUnit Load(string relativePath)
    {
        var sections = new Dictionary<string, List<KeyValuePair<string, string>>>();
        List<KeyValuePair<string, string>>? current = null;
        var pending = "";
        foreach (var rawLine in RepositoryLayout.ReadText(relativePath).Split('\n'))
        {
            var line = rawLine.TrimEnd('\r').Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            line = pending + line;
            pending = "";
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = [];
                sections[line[1..^1]] = current;
                continue;
            }

            var separator = line.IndexOf('=');
            if (current == null || separator <= 0)
            {
                throw new InvalidDataException($"{relativePath}: cannot read '{line}'.");
            }

            current.Add(new(line[..separator].Trim(), line[(separator + 1)..].Trim()));
        }

        return new SystemdUnit(sections);
    }

    /// <summary>Every value of the setting in that section, in file order.</summary>
    public IReadOnlyList<string> Values(string section, string key) =>
        sections.TryGetValue(section, out var settings)
            ? settings.Where(setting => setting.Key == key).Select(setting => setting.Value).ToList()
            : [];

    /// <summary>The setting's effective value: the last assignment wins, as in systemd.</summary>
    public string Value(string section, string key) =>
        Values(section, key).LastOrDefault() ?? throw new KeyNotFoundException($"[{section}] has no {key}=.");

    /// <summary>The variables of the [Service] Environment= lines.</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment() =>
        Values("Service", "Environment")
            .SelectMany(assignments => assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(assignment => assignment.Trim('"').Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>A systemd time span such as "600", "10min" or "5min 30s".</summary>
    public static TimeSpan ParseTimeSpan(string value)
    {
        var total = TimeSpan.Zero;
        foreach (Match part in TimeSpanPart().Matches(value))
        {
            var amount = double.Parse(part.Groups["amount"].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += part.Groups["unit"].Value switch
            {
                "" or "s" or "sec" or "second" or "seconds" => TimeSpan.FromSeconds(amount),
                "ms" or "msec" => TimeSpan.FromMilliseconds(amount),
                "m" or "min" or "minute" or "minutes" => TimeSpan.FromMinutes(amount),
                "h" or "hr" or "hour" or "hours" => TimeSpan.FromHours(amount),
                var unit => throw new FormatException($"Unknown time unit '{unit}' in '{value}'."),
            };
        }

        return total;
    }

    [GeneratedRegex(@"(?<amount>\d+(\.\d+)?)\s*(?<unit>[a-z]*)")]
    private static partial Regex TimeSpanPart();
}
