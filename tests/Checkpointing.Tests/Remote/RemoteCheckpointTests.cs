using Recurring.Core.Data;
using Recurring.Checkpointing.Remote;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests.Remote;

public sealed class AzureBlobCheckpointTests(AzuriteFixture fixture) : RemoteCheckpointTests(fixture.Server), IClassFixture<AzuriteFixture>;

public sealed class S3CheckpointTests(S3rverFixture fixture) : RemoteCheckpointTests(fixture.Server), IClassFixture<S3rverFixture>;

/// <summary>The remote protocol against a real server of each kind, one server per kind, one container per test.</summary>
public abstract class RemoteCheckpointTests(StorageServer server) : IDisposable
{
    private static readonly DateTime Start = new(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);

    private readonly TemporaryDirectory _local = new();
    private readonly FixedClock _clock = new(Start);

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task AnUploadedCheckpointComesBackBitIdenticalOntoAnEmptyVolume()
    {
        // Large enough for multipart (S3) and block (Azure) uploads with 5 MB parts.
        var config = TrainingRun.SmallConfig() with { Features = FeatureSchema.Criteo(30_000) };
        using var model = new DlrmModel(config, CPU, TrainingRun.Seed);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        trainer.TrainStep(TrainingRun.Batch(0, features: config.Features));
        using var remote = Open(options => options.Remote.PartSizeMegabytes = 5);
        var id = (await Local().SaveAsync(new TrainingSnapshot(trainer, new CheckpointStage(TrainingStage.Streaming), TrainingRun.Seed), pin: false, CancellationToken.None)).Id;
        var original = Files(id);
        Assert.True(original[CheckpointFiles.Model].Length > 10 << 20);

        await remote.UploadAsync(id, CancellationToken.None);
        WipeLocalVolume();
        using var restored = await remote.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(id, restored!.Manifest.Id);
        var pulled = Files(id);
        foreach (var (name, bytes) in original) Assert.True(bytes.AsSpan().SequenceEqual(pulled[name]), $"{name} differs after the round trip");
        Assert.Equal(trainer.Steps, restored.Trainer.Steps);
    }

    [Fact]
    public async Task AFreshVolumeResumesFromTheNewestRemoteCheckpointAndItsPositions()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open();
        var ids = await SaveHistoryAsync(run, count: 3);
        foreach (var id in ids) await remote.UploadAsync(id, CancellationToken.None);

        WipeLocalVolume();
        using var restored = await remote.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(ids[^1], restored!.Manifest.Id);
        Assert.Equal([new StreamPosition("clicks", 0, 1000 * ids.Count)], restored.Manifest.Positions.Kafka);
        Assert.Equal(run.Trainer.Steps, restored.Trainer.Steps);
    }

    [Fact]
    public async Task ALocalCheckpointNewerThanAnyRemoteOneIsRestoredWithoutDownloading()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open();
        var ids = await SaveHistoryAsync(run, count: 2);
        await remote.UploadAsync(ids[0], CancellationToken.None);

        using var restored = await remote.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(ids[1], restored!.Manifest.Id);
        Assert.DoesNotContain(_local.Entries(), e => CheckpointId.IsTemporary(e));
    }

    [Fact]
    public async Task ACorruptRemoteCheckpointIsSkippedCountedAndTheNextNewestRestored()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open();
        var ids = await SaveHistoryAsync(run, count: 2);
        foreach (var id in ids) await remote.UploadAsync(id, CancellationToken.None);
        var model = Files(ids[1])[CheckpointFiles.Model];
        model[^1] ^= 0x40;
        await remote.Objects.PutAsync(ObjectCheckpointStore.Key(ids[1], CheckpointFiles.Model), model, CancellationToken.None);

        WipeLocalVolume();
        using var restored = await remote.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(ids[0], restored!.Manifest.Id);
        Assert.Equal(1, remote.Remote.SkippedCheckpoints);
        Assert.Equal([ids[0]], _local.Entries());
    }

    [Fact]
    public async Task FilesWithoutTheirManifestAreNotARemoteCheckpoint()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open();
        var ids = await SaveHistoryAsync(run, count: 2);
        await remote.UploadAsync(ids[0], CancellationToken.None);
        // What an upload interrupted before its commit marker leaves behind.
        foreach (var file in new[] { CheckpointFiles.Model, CheckpointFiles.Optimizer })
            await remote.Objects.UploadFileAsync(ObjectCheckpointStore.Key(ids[1], file), Path.Combine(_local.Path, ids[1], file), CancellationToken.None);

        var listed = await remote.ListWithoutHashingAsync(CancellationToken.None);
        WipeLocalVolume();
        using var restored = await remote.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal([false, true], listed.Select(s => s.IsValid));
        Assert.Contains("manifest.json is missing", listed[0].Problem);
        Assert.Equal(ids[0], restored!.Manifest.Id);
    }

    [Fact]
    public async Task WhileTheStoreIsDownTrainingGoesOnTheBacklogStaysBoundedAndRecoveryUploadsTheNewest()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open(options => options.Remote.MaxLagSeconds = 60);
        var replicator = new CheckpointReplicator(remote, time: _clock);
        using var stop = new CancellationTokenSource();
        var loop = replicator.RunAsync(stop.Token);
        server.Stop();
        try
        {
            var ids = new List<string>();
            for (int i = 0; i < 4; i++)
            {
                ids.Add((await SaveHistoryAsync(run, count: 1))[0]);
                replicator.Enqueue(ids[^1], pinned: false);
                await Eventually.That(() => replicator.UploadFailures > i, "an upload attempt failed while the store is down");
            }
            _clock.UtcNow += TimeSpan.FromSeconds(61);

            await Eventually.That(() => replicator.SkippedSuperseded == ids.Count - remote.Options.Remote.Backlog, "the oldest waiting checkpoints were skipped");
            Assert.InRange(replicator.Backlog, 1, 1 + remote.Options.Remote.Backlog);
            Assert.False(replicator.IsWithinMaxLag);
            Assert.Equal(0, replicator.UploadsCompleted);

            server.Start();
            await Eventually.That(() => replicator.Backlog == 0, "the backlog drains once the store is back", () => Figures(replicator));
            Assert.Equal(ids[^1], replicator.Latest!.Id);
            Assert.Equal(ids[^1], (await remote.ListWithoutHashingAsync(CancellationToken.None)).First(s => s.IsValid).Id);
            Assert.True(replicator.IsWithinMaxLag);
        }
        finally
        {
            server.Start();
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        }
    }

    [Fact]
    public async Task RemoteRetentionKeepsTheLastNAndThePinnedAndLeavesTheLocalFolderAlone()
    {
        using var run = new TrainingRun(steps: 1);
        using var remote = Open(options => (options.Remote.KeepLast, options.Remote.KeepDailyDays) = (2, 0));
        var replicator = new CheckpointReplicator(remote);
        using var stop = new CancellationTokenSource();
        var loop = replicator.RunAsync(stop.Token);
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            var phase = i == 0 ? TrainingStage.OfflineFinal : TrainingStage.Streaming;
            ids.Add((await Local().SaveAsync(run.Snapshot(phase), pin: false, CancellationToken.None)).Id);
            _clock.UtcNow += TimeSpan.FromHours(1);
            run.Train(1);
            replicator.Enqueue(ids[^1], pinned: i == 0);
            await Eventually.That(() => replicator.UploadsCompleted == i + 1, $"checkpoint {i} uploaded");
        }
        string[] expected = [ids[0], ids[3], ids[4]];
        string[] remaining = [];
        await Eventually.That(async () =>
        {
            remaining = (await remote.ListWithoutHashingAsync(CancellationToken.None)).Select(s => s.Id).Order(StringComparer.Ordinal).ToArray();
            return remaining.SequenceEqual(expected);
        }, "retention leaves the pinned one and the last two", () => string.Join(", ", remaining));
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.True((await remote.Remote.VerifyAsync(ids[0], CancellationToken.None)).Pinned);
        Assert.Equal(ids, _local.Entries());
    }

    private static string Figures(CheckpointReplicator replicator) =>
        $"backlog {replicator.Backlog}, completed {replicator.UploadsCompleted}, failures {replicator.UploadFailures}, skipped {replicator.SkippedSuperseded}, local copies missing {replicator.LocalCopiesMissing}";

    private RemoteCheckpointStore Open(Action<CheckpointOptions>? configure = null)
    {
        var (_, remoteOptions) = server.NewContainer();
        var options = Checkpoints.Options(_local.Path, retryAttempts: 1);
        options.RetryMaxDelayMilliseconds = 50;
        options.Remote = remoteOptions;
        configure?.Invoke(options);
        return RemoteCheckpointStore.Open(options);
    }

    private CheckpointManager Local() => Checkpoints.Manager(_local.Path, _clock);

    /// <summary>Checkpoints an hour apart, each a step further, each with the Kafka position its events reached.</summary>
    private async Task<List<string>> SaveHistoryAsync(TrainingRun run, int count)
    {
        var ids = new List<string>();
        for (int i = 0; i < count; i++)
        {
            run.Train(1);
            _clock.UtcNow += TimeSpan.FromHours(1);
            long reached = 1000 * (_local.Entries().Length + 1);
            var snapshot = run.Snapshot(TrainingStage.Streaming) with { Positions = new DataPositions([], [new StreamPosition("clicks", 0, reached)]) };
            ids.Add((await Local().SaveAsync(snapshot, pin: false, CancellationToken.None)).Id);
        }
        return ids;
    }

    private Dictionary<string, byte[]> Files(string id) =>
        Directory.EnumerateFiles(Path.Combine(_local.Path, id)).ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes);

    private void WipeLocalVolume()
    {
        foreach (var entry in Directory.EnumerateDirectories(_local.Path)) Directory.Delete(entry, recursive: true);
    }
}
