using System.CommandLine;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Cli;

namespace Recurring.Daemon.Tests.Cli;

/// <summary>Commands that take --Section:Key=value overrides still reject what is neither an override nor one of their options.</summary>
public sealed class UnknownOptionTests
{
    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var error = new StringWriter();
        int code = await RecurringCli.InvokeAsync(args, new InvocationConfiguration { Output = new StringWriter(), Error = error });
        return (code, error.ToString().Trim());
    }

    [Fact]
    public async Task AMistypedOptionExitsWith2WithOneLineSuggestingTheRealOneAndWritesNothing()
    {
        using var directory = new TemporaryDirectory();
        var checkpoints = Path.Combine(directory.Path, "out");

        var (code, error) = await Run("train-offline", "--evnts", "5", "--out", checkpoints);

        Assert.Equal(2, code);
        Assert.Equal("error: unknown option --evnts for train-offline (did you mean --events?)", error);
        Assert.False(Directory.Exists(checkpoints));
    }

    [Fact]
    public async Task AnOptionLikeNoneOfTheCommandsExplainsTheOverrideForm()
    {
        var (code, error) = await Run("train-offline", "--shutdownTimeoutSeconds=5");

        Assert.Equal(2, code);
        Assert.Equal("error: unknown option --shutdownTimeoutSeconds for train-offline; configuration overrides take the form --Section:Key=value.", error);
    }

    [Fact]
    public async Task AStrayArgumentExitsWith2()
    {
        var (code, error) = await Run("train-offline", "somewhere");

        Assert.Equal(2, code);
        Assert.Equal("error: unexpected argument 'somewhere' for train-offline.", error);
    }

    [Fact]
    public async Task OverridesInEitherFormReachTheConfiguration()
    {
        var (code, error) = await Run("train-offline", "--Trainign:BatchSize=5", "--Training:Threads", "-1");

        Assert.Equal(2, code);
        Assert.Equal(
            ["configuration error: unknown key Trainign:BatchSize (did you mean Training:BatchSize?)", "configuration error: Training:Threads must be 0 (default) or positive, not -1."],
            error.Split('\n').Select(line => line.Trim()));
    }
}
