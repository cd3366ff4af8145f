using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>A Spectre console over a command's output writer, so tables go where the rest of the output goes.</summary>
public static class Terminal
{
    public static IAnsiConsole For(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Redirected output reports 80 columns, which would fold checkpoint ids and long labels.
        console.Profile.Width = Math.Max(console.Profile.Width, 140);
        return console;
    }
}
