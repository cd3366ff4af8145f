using System.CommandLine;
using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Cli;

namespace Recurring.Daemon.Tests.Cli;

public class CheckpointsCommandTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { CheckpointsCommand.Create() };
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Checkpoints at consecutive steps, oldest first.</summary>
    private static async Task<string[]> Saved(string directory, int count)
    {
        using var run = new TrainingRun(steps: 1);
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory });
        var ids = new List<string>();
        for (int i = 0; i < count; i++)
        {
            ids.Add((await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Id);
            run.Train(1);
        }
        return ids.ToArray();
    }

    private static JsonElement LastLineJson(string output) =>
        JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;

    [Fact]
    public async Task ListWithJsonEndsWithOneJsonObjectDescribingEachCheckpoint()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 2);

        var (code, output, _) = await Run("checkpoints", "list", "--dir", directory.Path, "--json");

        Assert.Equal(0, code);
        var checkpoints = LastLineJson(output).GetProperty("checkpoints").EnumerateArray().ToArray();
        Assert.Equal(ids.Reverse(), checkpoints.Select(c => c.GetProperty("id").GetString()));
        Assert.All(checkpoints, c => Assert.True(c.GetProperty("valid").GetBoolean()));
        Assert.Equal(2, checkpoints[0].GetProperty("step").GetInt64());
        Assert.StartsWith("┌", output); // the table comes first
    }

    [Fact]
    public async Task VerifyExitsWithOneAndNamesTheProblemWhenACheckpointIsDamaged()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 2);
        File.Delete(Path.Combine(directory.Path, ids[1], CheckpointFiles.Manifest));

        var (code, output, _) = await Run("checkpoints", "verify", "--dir", directory.Path);

        Assert.Equal(1, code);
        Assert.Contains($"{ids[1]}: manifest.json is missing", output);
        Assert.Contains("1 of 2 damaged", output);
    }

    [Fact]
    public async Task PinShowsInTheList()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 1);

        Assert.Equal(0, (await Run("checkpoints", "pin", "--dir", directory.Path, ids[0])).Code);

        var (_, output, _) = await Run("checkpoints", "list", "--dir", directory.Path, "--json");
        Assert.True(LastLineJson(output).GetProperty("checkpoints")[0].GetProperty("pinned").GetBoolean());
    }

    [Fact]
    public async Task PruneWithKeepLastKeepsOnlyTheNewest()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 3);

        var (code, output, _) = await Run("checkpoints", "prune", "--dir", directory.Path, "--keep-last", "1", "--keep-days", "0", "--json");

        Assert.Equal(0, code);
        Assert.Equal(new[] { ids[0], ids[1] }, LastLineJson(output).GetProperty("deleted").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(new[] { ids[2] }, directory.Entries());
    }

    [Fact]
    public async Task UnknownCheckpointIsOneLineOnStandardError()
    {
        using var directory = new TemporaryDirectory();

        var (code, _, error) = await Run("checkpoints", "pin", "--dir", directory.Path, "ckpt-missing");

        Assert.Equal(1, code);
        Assert.Contains("no checkpoint 'ckpt-missing'", error.Trim());
        Assert.DoesNotContain('\n', error.Trim());
    }

    [Fact]
    public async Task MissingFolderIsReportedNotCreated()
    {
        using var directory = new TemporaryDirectory();
        var missing = Path.Combine(directory.Path, "nowhere");

        var (code, _, error) = await Run("checkpoints", "list", "--dir", missing);

        Assert.Equal(1, code);
        Assert.Contains("does not exist", error);
        Assert.False(Directory.Exists(missing));
    }
}
