using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Reliability;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Streaming;

/// <summary>The streaming trainer on its own: batches from a channel, commits to an in-memory committer, no Kafka.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class StreamingTrainerTests(ReliabilityFixture fixture) : IAsyncLifetime
{
    private const int BatchSize = 32;

    private readonly string _root = Directory.CreateTempSubdirectory("recurring-trainer-").FullName;
    private readonly SourceRecorder _source = new();
    private readonly Channel<StreamItem> _items = Channel.CreateUnbounded<StreamItem>();
    private ServiceProvider _services = null!;
    private FileDeadLetterSink _deadLetters = null!;
    private RestoredCheckpoint _restored = null!;
    private CheckpointManager _manager = null!;

    public async Task InitializeAsync()
    {
        ReliabilityFixture.CopyCheckpoints(fixture.SeedCheckpoints, _root);
        _manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = _root });
        _restored = (await _manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;
        _deadLetters = new FileDeadLetterSink(Path.Combine(_root, "dead-letters.jsonl"));
        _services = new ServiceCollection().AddSingleton(TimeProvider.System).AddRecurringStatus().BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        _restored.Dispose();
        _deadLetters.Dispose();
        await _services.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task EachScheduledCheckpointsPositionsGoToTheCommitterOnceDurable()
    {
        var trainer = Trainer(everyEvents: 2 * BatchSize);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);

        Write(Batches().Next(4));
        _items.Writer.Complete();
        var final = await run;

        Assert.Equal([[Position(2 * BatchSize)], [Position(4 * BatchSize)]], _source.Commits);
        Assert.Equal([Position(4 * BatchSize)], final);
    }

    [Fact]
    public async Task PartitionsLeavingAreAnsweredWithThePositionsOfACheckpointThatCoversEverythingBeforeThem()
    {
        var trainer = Trainer(everyEvents: long.MaxValue);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        var leaving = new PartitionsLeaving([StreamBatches.Partition]);

        Write(Batches().Next(3));
        _items.Writer.TryWrite(leaving);
        var answered = await leaving.Done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        _items.Writer.Complete();
        await run;

        Assert.Equal([Position(3 * BatchSize)], answered);
        var newest = (await _manager.ListAsync(CancellationToken.None))[0].Manifest!;
        Assert.Equal(TrainingStage.Streaming, newest.Stage.Kind);
        Assert.Equal([Position(3 * BatchSize)], newest.Positions.Kafka);
        // The source commits a leaving partition itself; the trainer's committer hears of no commit for it.
        Assert.Empty(_source.Commits);
    }

    [Fact]
    public async Task WhenTheStreamGoesQuietTheProgressiveWindowCoversEveryTrainedEvent()
    {
        var trainer = Trainer(everyEvents: long.MaxValue);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        var streaming = _services.GetRequiredService<StatusCell<StreamingState>>();

        Write(Batches().Next(3)); // fewer than the 16 batches between refreshes while busy
        await TrainedAsync(3 * BatchSize);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (streaming.Current.ProgressiveWindow?.Count != 3 * BatchSize)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the window holds {streaming.Current.ProgressiveWindow?.Count} events, not {3 * BatchSize}");
            await Task.Delay(50);
        }
        _items.Writer.Complete();
        await run;
    }

    [Fact]
    public async Task ACheckpointRequestedBetweenBatchesCompletesOnceItIsDurable()
    {
        var trainer = Trainer(everyEvents: long.MaxValue);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        Write(Batches().Next(2));
        await TrainedAsync(2 * BatchSize);

        var info = await trainer.RequestCheckpointAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        _items.Writer.Complete();
        await run;

        var verified = await _manager.VerifyAsync(info.Id, CancellationToken.None);
        Assert.True(verified.IsValid, verified.Problem);
        Assert.Equal(2 * BatchSize, StreamingCounters.From(verified.Manifest).Trained);
    }

    /// <summary>A burst of POST /checkpoints while the trainer is busy writes one checkpoint for all of them, not one each.</summary>
    [Fact]
    public async Task CheckpointRequestsWaitingTogetherAreAnsweredByOneCheckpoint()
    {
        var trainer = Trainer(everyEvents: long.MaxValue);
        Write(Batches().Next(1));
        var requests = Enumerable.Range(0, 5).Select(_ => trainer.RequestCheckpointAsync(CancellationToken.None)).ToList();

        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        var answers = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60));
        _items.Writer.Complete();
        await run;

        Assert.Single(answers.Select(a => a.Id).Distinct());
        // That one, and the last one at the end of the run.
        Assert.Equal(2, _services.GetRequiredService<StatusCell<CheckpointState>>().Current.Written);
    }

    /// <summary>
    /// Only durable positions are ever committed: when the checkpoint that a rebalance asks for fails, the positions
    /// handed back for the commit are those of the last checkpoint that was written (here none: the seed checkpoint is
    /// the offline phase's and holds no positions), not the ones trained since; a stop whose final checkpoint fails
    /// ends as an incomplete stop and hands out nothing.
    /// </summary>
    [Fact]
    public async Task AfterAFailedCheckpointARebalanceAndAStopHandOutOnlyDurablePositions()
    {
        File.WriteAllText(Path.Combine(_root, "not-a-folder"), "");
        var unwritable = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Path.Combine(_root, "not-a-folder", "checkpoints") });
        var trainer = Trainer(everyEvents: long.MaxValue, writeTo: unwritable);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        var leaving = new PartitionsLeaving([StreamBatches.Partition]);

        Write(Batches().Next(2));
        _items.Writer.TryWrite(leaving);
        var forCommit = await leaving.Done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        _items.Writer.Complete();
        await Assert.ThrowsAsync<IncompleteStopException>(() => run);

        Assert.Equal(2, _services.GetRequiredService<StatusCell<CheckpointState>>().Current.Failures);
        Assert.Empty(forCommit);
        Assert.Empty(_source.Commits);
        Assert.Equal([Position(2 * BatchSize)], trainer.Positions);
    }

    [Fact]
    public async Task EveryDeadLetterACheckpointCoversIsOnDiskBeforeTheCheckpointIsWritten()
    {
        // What a power cut would leave of the dead-letter file: what it held at its last fsync.
        long synced = 0;
        _deadLetters.Dispose();
        _deadLetters = new FileDeadLetterSink(Path.Combine(_root, "dead-letters.jsonl"), file =>
        {
            file.Flush(flushToDisk: true);
            synced = file.Length;
        });
        var batches = Batches();
        var covered = new List<(long Position, List<long> Expected, List<long> Durable)>();
        var atCheckpoint = new CheckpointObserver(checkpoint =>
        {
            long position = checkpoint.Manifest.Positions.Kafka.Single().NextOffset;
            var durable = File.ReadAllBytes(_deadLetters.Path)[..(int)synced];
            var offsets = Encoding.UTF8.GetString(durable).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("sourceOffset").GetInt64()).ToList();
            covered.Add((position, batches.MalformedOffsets.Where(o => o < position).ToList(), offsets));
        });
        var trainer = Trainer(everyEvents: 2 * BatchSize, atCheckpoint);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);

        Write(batches.Next(6, malformed: 3));
        _items.Writer.Complete();
        await run;

        Assert.Equal(3, covered.Count); // every 2 batches
        Assert.All(covered, c => Assert.Equal(c.Expected, c.Durable));
    }

    [Fact]
    public async Task ADeadLetterStillUnwrittenWhenTheShutdownTimeoutRunsOutEndsTheRunAsAnIncompleteStop()
    {
        using var cluster = new EmbeddedKafkaCluster();
        var kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, DeliveryTimeoutMilliseconds = 60_000 };
        using var topicDown = new KafkaDeadLetterSink(kafka.ToProducerConfig(), "dead-letters",
            KafkaResilience.CreateRetryPipeline(kafka.Retry, NullLogger.Instance, "dead letter"), NullLogger.Instance);
        cluster.SetBrokersDown(true);
        var trainer = Trainer(everyEvents: long.MaxValue, deadLetters: topicDown);
        using var shutdownTimeout = new CancellationTokenSource();

        // The source stopped after handing over a batch with a malformed message; the brokers stay away.
        Write(Batches().Next(1, malformed: 1));
        _items.Writer.Complete();
        var run = trainer.RunAsync(_items.Reader, _source, _source, shutdownTimeout.Token);
        await Task.Delay(500);
        Assert.False(run.IsCompleted, "the stop waits for the dead letter");
        await shutdownTimeout.CancelAsync();

        var stop = await Assert.ThrowsAsync<IncompleteStopException>(() => run);
        Assert.StartsWith("The final checkpoint was not written: the shutdown timeout ran out while dead letters were still being written.", stop.Message);
        Assert.Contains(_restored.Manifest.Id, stop.Message);
        Assert.Single(await _manager.ListAsync(CancellationToken.None)); // the seed only
    }

    [Fact]
    public async Task WithDeltasAChainStartsAtAFullCheckpointAndBasePlusDeltasIsTheTrainersStateBitForBit()
    {
        var clock = new FakeTimeProvider();
        var announced = new DeltaRecorder();
        var options = new CheckpointOptions { Directory = _root, Deltas = true, DeltaEverySeconds = 60, EverySeconds = 3600, KeepLast = 100 };
        var deltas = new DeltaWriter(_manager, options, [announced], clock, NullLogger<DeltaWriter>.Instance);
        var trainer = Trainer(everyEvents: long.MaxValue, deltas: deltas);
        var run = trainer.RunAsync(_items.Reader, _source, _source, CancellationToken.None);
        var batches = Batches();

        // Each batch is due (the clock moved before it), so each is followed by a delta, except the first: the restored
        // checkpoint came from elsewhere, so the first one due is a full checkpoint, the chain's base.
        int checkpointsBefore = (await _manager.ListAsync(hashContents: false, CancellationToken.None)).Count;
        for (int batch = 1; batch <= 3; batch++)
        {
            clock.Advance(TimeSpan.FromSeconds(60));
            Write(batches.Next(1));
            await TrainedAsync(batch * BatchSize);
            await Daemon.Eventually.Until(async () => (await _manager.ListAsync(hashContents: false, CancellationToken.None)).Count - checkpointsBefore + announced.Written.Count,
                done => done == batch, $"batch {batch} is followed by a checkpoint or delta", done => $"{done} written");
        }
        _items.Writer.Complete();
        await run;

        var checkpoints = await _manager.ListAsync(CancellationToken.None);
        var (chainBase, final) = (checkpoints[1].Manifest!, checkpoints[0].Manifest!);
        Assert.Equal([1, 2], announced.Written.Select(d => d.Manifest.Index));
        Assert.All(announced.Written, d => Assert.Equal(chainBase.Id, d.Manifest.BaseId));
        Assert.Equal([Position(3 * BatchSize)], announced.Written[^1].Manifest.Positions.Kafka);
        Assert.Equal([[Position(BatchSize)]], _source.Commits); // the base's; deltas commit nothing: a restart resumes from a checkpoint
        var (applied, _) = await _manager.RestoreWithDeltasAsync(chainBase.Id, announced.Written[^1].Info.Id, CPU, CancellationToken.None);
        using (applied)
        {
            using var elsewhere = new Checkpointing.Tests.Support.TemporaryDirectory();
            var written = await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = elsewhere.Path })
                .SaveAsync(new TrainingSnapshot(applied.Trainer, final.Stage, final.Seed), pin: false, CancellationToken.None);
            Assert.Equal(TensorDigests(final), TensorDigests(written.Manifest));
        }
    }

    private static string[] TensorDigests(CheckpointManifest manifest) =>
        manifest.Files.Where(f => f.Name != CheckpointFiles.Description).Select(f => $"{f.Name} {f.Sha256}").ToArray();

    private sealed class DeltaRecorder : IDeltaObserver
    {
        public List<DeltaWritten> Written { get; } = [];

        public Task OnDeltaWrittenAsync(DeltaWritten delta, CancellationToken cancellationToken)
        {
            Written.Add(delta);
            return Task.CompletedTask;
        }
    }

    private StreamingTrainer Trainer(long everyEvents, ICheckpointObserver? observer = null, IDeadLetterSink? deadLetters = null, DeltaWriter? deltas = null,
        CheckpointManager? writeTo = null)
    {
        var options = new CheckpointOptions { Directory = _root, EveryEvents = everyEvents, EverySeconds = 3600, KeepLast = 100 };
        var observers = new ICheckpointObserver?[] { observer, deltas }.OfType<ICheckpointObserver>().ToArray();
        var writer = new CheckpointWriter(writeTo ?? _manager, options, observers, _services.GetRequiredService<StatusCell<CheckpointState>>(),
            TimeProvider.System, NullLogger<CheckpointWriter>.Instance);
        return new StreamingTrainer(_restored.Trainer, _restored.Manifest, new StreamingOptions { MaxBatchSize = BatchSize }, deadLetters ?? _deadLetters, writer,
            new CheckpointScheduler(options, TimeProvider.System), _services.GetRequiredService<StreamingStatus>(), TimeProvider.System,
            NullLogger<StreamingTrainer>.Instance, deltas);
    }

    private async Task TrainedAsync(long events)
    {
        var streaming = _services.GetRequiredService<StatusCell<StreamingState>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (streaming.Current.EventsTrained < events)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{events} events were not trained within 60 s");
            await Task.Delay(10);
        }
    }

    private StreamBatches Batches() => new(fixture, _restored.Model.Encoder, BatchSize);

    private void Write(IEnumerable<StreamBatch> batches)
    {
        foreach (var batch in batches) _items.Writer.TryWrite(batch);
    }

    private static StreamPosition Position(long next) => new(StreamBatches.Partition.Topic, StreamBatches.Partition.Partition, next);

    private sealed class CheckpointObserver(Action<CheckpointWritten> written) : ICheckpointObserver
    {
        public Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken)
        {
            written(checkpoint);
            return Task.CompletedTask;
        }
    }
}
