using System.CommandLine;
using Recurring.Checkpointing;
using Recurring.Daemon.Cli;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Cli;

/// <summary>Console.Out and Console.Error are swapped while these run, so nothing else may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary>
/// Every command of <see cref="RecurringCli.Build"/>, with hostile values for each of its options in turn (negative,
/// huge, empty, of the wrong type) and with an unknown option: one line on stderr, exit code 2, never a stack trace,
/// and nothing run. The other arguments are valid, so each case has exactly one thing wrong.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class HostileArgumentTests(ITestOutputHelper output)
{
    private static readonly string[] NumberValues = ["-5", "99999999999999999999999", "", "abc"];

    public static IEnumerable<object[]> Cases()
    {
        foreach (var command in RecurringCli.Commands(RecurringCli.Build()).Where(c => c.Action is not null))
        {
            var path = Path(command);
            yield return [path, new[] { "--no-such-option" }];
            yield return [path, new[] { "stray-word" }];
            foreach (var option in command.Options.Where(o => o.Name is not "--help"))
            {
                if (option.ValueType == typeof(bool)) yield return [path, new[] { $"{option.Name}=abc" }];
                else if (option.ValueType == typeof(string)) yield return [path, new[] { option.Name, "" }];
                else foreach (var value in NumberValues) yield return [path, new[] { option.Name, value }];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AHostileArgumentGetsOneLineOnStderrAndExitCode2(string command, string[] hostile)
    {
        var (code, stdout, stderr) = await RunAsync([.. command.Split(' '), .. hostile, .. ValidRest(command, hostile)]);

        output.WriteLine($"recurring {command} {string.Join(' ', hostile.Select(h => h == "" ? "''" : h))} -> {code}: {stderr.Trim()}");
        Assert.DoesNotContain("Unhandled exception", stdout + stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void EveryCommandIsCovered()
    {
        var covered = Cases().Select(c => (string)c[0]).Distinct().ToArray();
        Assert.Equal(21, covered.Length);
        Assert.Contains("run", covered);
        Assert.Contains("checkpoints prune", covered);
        Assert.Contains("checkpoints push", covered);
        Assert.Contains("checkpoints skip", covered);
        Assert.Contains("bench recurring", covered);
    }

    [Fact]
    public async Task HelpSaysABareDurationIsSecondsAndExplainsConfigurationOverrides()
    {
        var (code, stdout, _) = await RunAsync(["run", "--help"]);

        Assert.Equal(0, code);
        Assert.Contains("a bare number is seconds", stdout);
        Assert.Contains("--Training:Device=cpu", stdout);
        Assert.DoesNotContain("Additional Arguments", stdout);
        var usage = stdout.Split('\n').SkipWhile(l => !l.StartsWith("Usage:")).Skip(1).First();
        Assert.Equal(usage.Count(c => c == '['), usage.Count(c => c == ']'));
    }

    /// <summary>Values for the required options and arguments the hostile ones leave unset, so only they are wrong.</summary>
    private static IEnumerable<string> ValidRest(string path, string[] hostile)
    {
        var command = RecurringCli.Commands(RecurringCli.Build()).Single(c => Path(c) == path);
        foreach (var option in command.Options.Where(o => o.Required && !hostile.Contains(o.Name)))
        {
            yield return option.Name;
            yield return option.ValueType == typeof(string) ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "recurring-hostile-unused") : "1";
        }
        foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0)) yield return CheckpointId.Create(1, DateTime.UtcNow, 1);
    }

    private static string Path(Command command) =>
        string.Join(' ', command.Parents.OfType<Command>().Where(c => c is not RootCommand).Reverse().Select(c => c.Name).Append(command.Name));

    /// <summary>Runs the CLI with Console.Out and Console.Error captured (the benchmarks write to the console): only inside <see cref="ConsoleCollection"/>.</summary>
    internal static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (consoleOut, consoleError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int code = await RecurringCli.InvokeAsync(args, new InvocationConfiguration { Output = stdout, Error = stderr }, timeout.Token);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(consoleOut);
            Console.SetError(consoleError);
        }
    }
}
