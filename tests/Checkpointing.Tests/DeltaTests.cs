using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class DeltaTests
{
    /// <summary>A base checkpoint, then two deltas two steps apart, each followed by a full checkpoint of the same state in <paramref name="fullDirectory"/>.</summary>
    private static async Task<Chain> WriteChainAsync(string directory, string fullDirectory, TrainingRun run)
    {
        var manager = Checkpoints.Manager(directory);
        var full = Checkpoints.Manager(fullDirectory);
        var rowWise = run.Trainer.EmbeddingOptimizer!;
        var baseCheckpoint = (await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Manifest;
        rowWise.TrackTouchedRows();
        var deltas = new List<DeltaInfo>();
        var fulls = new List<CheckpointManifest>();
        for (int index = 1; index <= 2; index++)
        {
            run.Train(2);
            var snapshot = new DeltaSnapshot(run.Trainer, baseCheckpoint, index, deltas.Count == 0 ? baseCheckpoint.Id : deltas[^1].Id)
            {
                Positions = new DataPositions([], [new StreamPosition("clicks", 0, 100 * index)]),
                Counters = new Dictionary<string, long> { ["eventsConsumed"] = 32 * index },
            };
            deltas.Add(await manager.SaveDeltaAsync(snapshot, CancellationToken.None));
            rowWise.ClearTouchedRows();
            fulls.Add((await full.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Manifest);
        }
        return new Chain(manager, baseCheckpoint, deltas, fulls);
    }

    private sealed record Chain(CheckpointManager Manager, CheckpointManifest Base, IReadOnlyList<DeltaInfo> Deltas, IReadOnlyList<CheckpointManifest> Fulls);

    /// <summary>Writes the restored state as a checkpoint and returns its tensor files' digests, to compare with the trainer's own.</summary>
    private static async Task<string[]> DigestsOfAsync(RestoredCheckpoint restored, string directory)
    {
        var written = await Checkpoints.Manager(directory).SaveAsync(new TrainingSnapshot(restored.Trainer, new CheckpointStage(TrainingStage.Streaming), TrainingRun.Seed),
            pin: false, CancellationToken.None);
        return Digests(written.Manifest);
    }

    private static string[] Digests(CheckpointManifest manifest) =>
        manifest.Files.Where(f => f.Name != CheckpointFiles.Description).Select(f => $"{f.Name} {f.Sha256}").ToArray();

    [Fact]
    public async Task BaseAndEveryDeltaAreBitForBitTheTrainersFullCheckpoint()
    {
        using var directory = new TemporaryDirectory();
        using var fullDirectory = new TemporaryDirectory();
        using var applied = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        var chain = await WriteChainAsync(directory.Path, fullDirectory.Path, run);

        for (int i = 0; i < 2; i++)
        {
            var (restored, deltas) = await chain.Manager.RestoreWithDeltasAsync(chain.Base.Id, chain.Deltas[i].Id, CPU, CancellationToken.None);
            using (restored)
            {
                Assert.Equal(chain.Deltas.Take(i + 1).Select(d => d.Id), deltas.Select(d => d.Id));
                Assert.Equal(Digests(chain.Fulls[i]), await DigestsOfAsync(restored, applied.Path));
                Assert.Equal((chain.Fulls[i].Counters.Steps, chain.Fulls[i].Counters.Samples), (restored.Trainer.Steps, restored.Trainer.Samples));
            }
        }
    }

    [Fact]
    public async Task ADeltaCarriesExactlyTheRowsTrainedSinceThePreviousOneAndWhatItCovers()
    {
        using var directory = new TemporaryDirectory();
        using var fullDirectory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        var chain = await WriteChainAsync(directory.Path, fullDirectory.Path, run);

        var second = chain.Deltas[1].Manifest;
        Assert.Equal(TrainedRows(run, fromStep: 4, steps: 2).Count, second.Rows);
        Assert.Equal((chain.Base.Id, 2, chain.Deltas[0].Id), (second.BaseId, second.Index, second.PreviousId));
        Assert.Equal([new StreamPosition("clicks", 0, 200)], second.Positions.Kafka);
        Assert.Equal(64, second.Counters.Other["eventsConsumed"]);
        Assert.Equal(run.Trainer.Steps, second.Counters.Steps);
        Assert.True(chain.Deltas[1].Bytes < chain.Fulls[1].FileBytes);
    }

    [Fact]
    public async Task AChainEndsBeforeADamagedDeltaAndApplyingThroughItIsRefused()
    {
        using var directory = new TemporaryDirectory();
        using var fullDirectory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        var chain = await WriteChainAsync(directory.Path, fullDirectory.Path, run);
        var manifest = Path.Combine(directory.Path, chain.Deltas[1].Id, CheckpointFiles.Manifest);
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest)).Replace("\"eventsConsumed\": 64", "\"eventsConsumed\": 65"));

        var listed = await chain.Manager.ListDeltasAsync(chain.Base.Id, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<CheckpointException>(() =>
            chain.Manager.RestoreWithDeltasAsync(chain.Base.Id, chain.Deltas[1].Id, CPU, CancellationToken.None));

        Assert.Equal([chain.Deltas[0].Id], listed.Select(d => d.Id));
        Assert.Contains("is not in the chain", refused.Message);
    }

    [Fact]
    public async Task ADeltaWhoseTensorsAreDamagedIsNotApplied()
    {
        using var directory = new TemporaryDirectory();
        using var fullDirectory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        var chain = await WriteChainAsync(directory.Path, fullDirectory.Path, run);
        var model = Path.Combine(directory.Path, chain.Deltas[0].Id, CheckpointFiles.Model);
        var bytes = await File.ReadAllBytesAsync(model);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(model, bytes);

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() =>
            chain.Manager.RestoreWithDeltasAsync(chain.Base.Id, throughId: null, CPU, CancellationToken.None));

        Assert.Contains("model.safetensors does not match its SHA-256", refused.Message);
    }

    [Fact]
    public async Task RetentionDeletesTheDeltasOfCheckpointsItDeletes()
    {
        using var directory = new TemporaryDirectory();
        using var fullDirectory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        var chain = await WriteChainAsync(directory.Path, fullDirectory.Path, run);
        var newer = await chain.Manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        await chain.Manager.ApplyRetentionAsync(new RetentionRule(KeepLast: 1, KeepDailyDays: 0), CancellationToken.None);

        Assert.Equal([newer.Id], directory.Entries());
    }

    [Fact]
    public void DeltaNamesCarryTheirBaseAndIndexAndAreNeverCheckpointNames()
    {
        var id = DeltaId.Create(42, 3, new DateTime(2026, 11, 26, 14, 0, 0, DateTimeKind.Utc), 12345);

        Assert.Equal("delta-s000000000042-000003-20261126T140000.000Z-000000012345", id);
        Assert.True(DeltaId.TryParse(id, out long baseSequence, out int index));
        Assert.Equal((42L, 3), (baseSequence, index));
        Assert.False(CheckpointId.TryParse(id, out _));
        Assert.False(DeltaId.TryParse(CheckpointId.Create(42, DateTime.UtcNow, 1), out _, out _));
    }

    /// <summary>The fused rows that <see cref="TrainingRun.Batch"/> touches in these steps.</summary>
    private static HashSet<long> TrainedRows(TrainingRun run, int fromStep, int steps)
    {
        var offsets = run.Model.Embeddings.Offsets;
        var rows = new HashSet<long>();
        for (int step = fromStep; step < fromStep + steps; step++)
        {
            var batch = TrainingRun.Batch(step);
            for (int i = 0; i < batch.Count; i++)
            {
                var eventRows = batch.RowsOf(i);
                for (int t = 0; t < eventRows.Length; t++) rows.Add(offsets[t] + eventRows[t]);
            }
        }
        return rows;
    }
}
