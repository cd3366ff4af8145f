using System.CommandLine;

namespace Recurring.Daemon.Cli;

/// <summary>Options shared by several commands, so each is spelled and described once.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "End the output with one JSON object holding the figures." };

    /// <summary>
    /// Configuration overrides after the command's own options, e.g. --Training:Device=cpu; they win over
    /// appsettings.json and RECURRING_ environment variables.
    /// </summary>
    public static IReadOnlyList<string> ConfigurationOverrides(ParseResult result) => result.UnmatchedTokens.ToArray();
}
