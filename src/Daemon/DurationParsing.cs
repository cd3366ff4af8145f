using System.Globalization;
using System.Text.RegularExpressions;

namespace Recurring.Daemon;

/// <summary>
/// Durations on the command line: <c>150s</c>, <c>2m</c>, <c>1h30m</c>, <c>hh:mm:ss</c>, or a bare number of seconds.
/// A bare number is seconds because that is what a user means by <c>--duration 150</c>; TimeSpan's own parser reads it
/// as 150 days.
/// </summary>
public static partial class Durations
{
    /// <summary>The longest wait a timer takes (Task.Delay's limit, about 49.7 days), rounded down to whole days.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(49);

    public const string Syntax = "150s, 2m, 1h30m or hh:mm:ss; a bare number is seconds";

    /// <summary>A positive duration no longer than <see cref="Longest"/>, or null with <paramref name="error"/> saying why.</summary>
    public static TimeSpan? TryParse(string text, string optionName, out string? error)
    {
        error = null;
        var value = text.Trim();
        TimeSpan? parsed = null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            parsed = double.IsFinite(seconds) && Math.Abs(seconds) <= Longest.TotalSeconds * 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
        else if (Units().Match(value) is { Success: true } units)
            parsed = FromUnits(units);
        else if (Clock().Match(value) is { Success: true } clock && int.Parse(clock.Groups["m"].Value, CultureInfo.InvariantCulture) < 60
                 && int.Parse(clock.Groups["s"].Value, CultureInfo.InvariantCulture) < 60)
            parsed = FromUnits(clock);

        if (parsed is not { } duration)
            error = $"{optionName} takes a duration ({Syntax}), not '{text}'.";
        else if (duration <= TimeSpan.Zero || duration > Longest)
            error = $"{optionName} must be more than 0 and at most {Longest.TotalDays:F0} days, not '{text}'.";
        return error is null ? parsed : null;
    }

    private static TimeSpan FromUnits(Match match)
    {
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        double seconds = Part("h") * 3600 + Part("m") * 60 + Part("s");
        return seconds <= Longest.TotalSeconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
    }

    // Each unit at most once, in order; at least one of them (the lookahead).
    [GeneratedRegex(@"^(?=\d)(?:(?<h>\d{1,9})h)?(?:(?<m>\d{1,9})m)?(?:(?<s>\d{1,9}(?:\.\d+)?)s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Units();

    [GeneratedRegex(@"^(?<h>\d{1,4}):(?<m>\d{2}):(?<s>\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Clock();
}
