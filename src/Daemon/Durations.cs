namespace Recurring.Daemon;

/// <summary>Durations as people read them (an ETA) and write them (command-line options, see DurationParsing.cs).</summary>
public static partial class Durations
{
    /// <summary>"1 h 02 min", "3 min 05 s", "42 s": for an ETA, in the largest units that matter; "n/a" when unknown.</summary>
    public static string Describe(TimeSpan? duration) => duration switch
    {
        null => "n/a",
        { TotalHours: >= 1 } d => $"{(int)d.TotalHours} h {d.Minutes:D2} min",
        { TotalMinutes: >= 1 } d => $"{d.Minutes} min {d.Seconds:D2} s",
        { } d => $"{d.Seconds} s",
    };
}
