using System.CommandLine;
using System.Text.RegularExpressions;

namespace Recurring.Daemon.Cli;

public static partial class RecurringCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Recurring: trains a DLRM click model offline with alternate growth and pruning, then keeps it fresh from Kafka.");
        root.Options.Add(CommonOptions.ConfigFile);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(TrainOfflineCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(CheckpointsCommand.Create());
        foreach (var command in Commands(root)) Harden(command);
        return root;
    }

    /// <summary>Every command under <paramref name="command"/>, itself included.</summary>
    public static IEnumerable<Command> Commands(Command command) => [command, .. command.Subcommands.SelectMany(Commands)];

    /// <summary>
    /// Parses and runs a command line, as the program does. A parse error (an unknown option, a value of the wrong
    /// type or out of range, a stray word) is one line on stderr and exit code 2, like every other input a user can
    /// fix, instead of System.CommandLine's exit code 1 and a screen of help.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration invocation, CancellationToken cancellationToken = default)
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count == 0) return await parsed.InvokeAsync(invocation, cancellationToken);
        await invocation.Error.WriteLineAsync($"error: {string.Join(" ", parsed.Errors.Select(e => OneLine(Plain(e.Message))).Distinct())}");
        return CommandSettings.InvalidConfiguration;
    }

    /// <summary>
    /// Commands that let unknown tokens through take configuration overrides: they get them as a declared argument
    /// (see <see cref="CommonOptions.AcceptConfigurationOverrides"/>). An empty value for a text option is refused
    /// here rather than deep inside the command.
    /// </summary>
    private static void Harden(Command command)
    {
        if (!command.TreatUnmatchedTokensAsErrors) CommonOptions.AcceptConfigurationOverrides(command);
        foreach (var option in command.Options.Where(o => o.ValueType == typeof(string)))
        {
            option.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value))) result.AddError($"{option.Name} needs a value, not an empty string.");
            });
        }
    }

    /// <summary>System.CommandLine names .NET types ("System.Int32"); say what to type instead.</summary>
    private static string Plain(string message) => ExpectedType().Replace(message, match => match.Groups["type"].Value switch
    {
        "Int32" or "Int64" or "UInt64" => "as a whole number",
        "Double" => "as a number",
        "Boolean" => "as true or false",
        var other => $"as {other}",
    });

    /// <summary>Some messages list choices on lines of their own ("Must be one of:\n\t'onnx'").</summary>
    private static string OneLine(string message) => LineBreaks().Replace(message.Trim(), " ");

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"as expected type 'System\.(?:Nullable`1\[System\.)?(?<type>\w+)\]?'")]
    private static partial Regex ExpectedType();
}
