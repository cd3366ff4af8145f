using System.CommandLine;
using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Cli;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Tests.Cli;

public class CheckpointsCommandTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await RecurringCli.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Checkpoints at consecutive steps, oldest first.</summary>
    internal static async Task<string[]> Saved(string directory, int count)
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

        var missing = CheckpointId.Create(1, DateTime.UtcNow, 1);

        var (code, _, error) = await Run("checkpoints", "pin", "--dir", directory.Path, missing);

        Assert.Equal(1, code);
        Assert.Contains($"no checkpoint '{missing}'", error.Trim());
        Assert.DoesNotContain('\n', error.Trim());
    }

    [Fact]
    public async Task AMissingFolderIsBadInputExitCode2AndIsNotCreated()
    {
        using var directory = new TemporaryDirectory();
        var missing = Path.Combine(directory.Path, "nowhere");

        var (code, _, error) = await Run("checkpoints", "list", "--dir", missing);

        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task AnInvalidRetentionOptionExitsWith2AndOneLineNamingItsKeyAndDeletesNothing()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 2);

        var (code, _, error) = await Run("checkpoints", "prune", "--dir", directory.Path, "--keep-last", "0");

        Assert.Equal(2, code);
        Assert.Equal("Checkpoints:KeepLast must be at least 1 (the newest checkpoint is what a restart resumes from), not 0.", error.Trim());
        Assert.Equal(ids, directory.Entries());
    }

    [Fact]
    public async Task ApplyDeltasWritesTheTrainersStateAtTheLastDeltaAsACheckpoint()
    {
        using var directory = new TemporaryDirectory();
        using var output = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path });
        var full = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Path.Combine(output.Path, "full") });
        var chainBase = (await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Manifest;
        run.Trainer.EmbeddingOptimizer!.TrackTouchedRows();
        var deltas = new List<string>();
        CheckpointManifest? trainers = null;
        for (int index = 1; index <= 2; index++)
        {
            run.Train(1);
            deltas.Add((await manager.SaveDeltaAsync(new DeltaSnapshot(run.Trainer, chainBase, index, index == 1 ? chainBase.Id : deltas[^1]),
                CancellationToken.None)).Id);
            run.Trainer.EmbeddingOptimizer.ClearTouchedRows();
            trainers = (await full.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Manifest;
        }
        var into = Path.Combine(output.Path, "applied");

        var (code, stdout, error) = await Run("checkpoints", "apply-deltas", "--dir", directory.Path, "--out", into, "--json");

        Assert.True(code == 0, error);
        var report = LastLineJson(stdout);
        Assert.Equal(chainBase.Id, report.GetProperty("base").GetString());
        Assert.Equal(deltas, report.GetProperty("deltas").EnumerateArray().Select(d => d.GetString()));
        var applied = (await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = into }).VerifyAsync(report.GetProperty("id").GetString()!, CancellationToken.None)).Manifest!;
        Assert.Equal(trainers!.Files.Select(f => (f.Name, f.Sha256)), applied.Files.Select(f => (f.Name, f.Sha256)));
    }

    [Fact]
    public async Task ApplyDeltasThroughSomethingThatIsNoDeltaIsBadInput()
    {
        using var directory = new TemporaryDirectory();
        var ids = await Saved(directory.Path, 1);

        var (code, _, error) = await Run("checkpoints", "apply-deltas", "--dir", directory.Path, "--out", directory.Path, "--through", ids[0]);

        Assert.Equal(2, code);
        Assert.StartsWith($"--through '{ids[0]}' is not a delta name", error);
    }

    /// <summary>A streaming checkpoint at clicks[0]@100 and clicks[1]@40, with counters of its history.</summary>
    private static async Task<CheckpointInfo> StreamingCheckpoint(string directory)
    {
        using var run = new TrainingRun(steps: 1);
        var snapshot = run.Snapshot(TrainingStage.Streaming) with
        {
            Positions = new DataPositions([], [new StreamPosition("clicks", 0, 100), new StreamPosition("clicks", 1, 40)]) { KafkaSource = new StreamSource("cluster-a", "clicks") },
            Counters = new StreamingCounters { Consumed = 140, Trained = 138, DeadLettered = new Dictionary<string, long> { ["bad-label"] = 2 } }.ToNamed(),
        };
        return await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory }).SaveAsync(snapshot, pin: false, CancellationToken.None);
    }

    [Fact]
    public async Task SkipWritesACopyOfTheNewestCheckpointThatReadsThePartitionOnFromTheGivenOffset()
    {
        using var directory = new TemporaryDirectory();
        var before = await StreamingCheckpoint(directory.Path);

        var (code, output, error) = await Run("checkpoints", "skip", "--dir", directory.Path, "--partition", "0", "--to", "105", "--json");

        Assert.True(code == 0, error);
        var id = LastLineJson(output).GetProperty("id").GetString()!;
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path });
        using var newest = (await manager.RestoreLatestAsync(TorchSharp.torch.CPU, accept: null, CancellationToken.None))!;
        Assert.Equal(id, newest.Manifest.Id);
        Assert.Equal(before.Manifest.Sequence + 1, newest.Manifest.Sequence);
        Assert.Equal([new StreamPosition("clicks", 0, 105), new StreamPosition("clicks", 1, 40)], newest.Manifest.Positions.Kafka.OrderBy(p => p.Partition));
        Assert.Equal(new StreamSource("cluster-a", "clicks"), newest.Manifest.Positions.KafkaSource);
        var counters = StreamingCounters.From(newest.Manifest);
        Assert.Equal((1, 5), (counters.OperatorSkips, counters.SkippedByOperator));
        Assert.Equal((140, 138), (counters.Consumed, counters.Trained)); // the history is carried on
        Assert.Equal(before.Manifest.Files.Select(f => f.Sha256), newest.Manifest.Files.Select(f => f.Sha256)); // the same model and optimizer state
    }

    [Fact]
    public async Task SkipRefusesAnOffsetThatIsNotAfterTheStoredPosition()
    {
        using var directory = new TemporaryDirectory();
        await StreamingCheckpoint(directory.Path);

        var (code, _, error) = await Run("checkpoints", "skip", "--dir", directory.Path, "--partition", "0", "--to", "100");

        Assert.Equal(2, code);
        Assert.StartsWith("--to 100 is not after clicks[0]'s position in", error.Trim());
        Assert.Single(error.Trim().Split('\n'));
        Assert.Single((await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path }).ListAsync(CancellationToken.None)));
    }
}
