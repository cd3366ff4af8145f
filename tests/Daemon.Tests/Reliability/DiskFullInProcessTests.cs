using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Streaming;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Disk full without mounting anything (CI machines may not allow it): the streaming trainer writes through a
/// store that runs out of space part-way through a file, as a full disk does (IOException with errno ENOSPC).
/// Same promises as <see cref="DiskFullTests"/>: a clear error and a metric, older checkpoints intact, training goes
/// on, and the next checkpoint succeeds once space returns.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class DiskFullInProcessTests(ReliabilityFixture fixture)
{
    private const int BatchSize = 32;
    private const long EveryEvents = 4 * BatchSize;

    [Fact]
    public async Task CheckpointsFailClearlyWhileTheStoreIsFullAndSucceedAgainOnceSpaceReturns()
    {
        await using var rig = await Rig.StartAsync(fixture, pauseAfterFailures: 10);
        var (status, log) = (rig.Status, rig.Log);
        var intact = await ValidAsync(rig.Manager);

        // Full: 512 events, so four scheduled checkpoints, each failing part-way through its first file.
        rig.Write(16);
        await WaitAsync(() => status.Snapshot().Streaming.EventsTrained == 512 && status.Snapshot().Checkpoints.Failures == 4, "512 events and 4 failed checkpoints");
        var s = status.Snapshot();
        Assert.Equal(0, s.Checkpoints.Written);
        Assert.Contains("No space left on device", s.Checkpoints.LastError);
        Assert.Equal(4, log.Lines.Count(l => l.StartsWith("Error: Checkpoint failed, training goes on and the previous checkpoints are intact", StringComparison.Ordinal)
                                            && l.Contains("No space left on device", StringComparison.Ordinal)));
        Assert.Equal("4", FailureMetric().Match(await ScrapeAsync(rig.Metrics)).Groups[1].Value);
        Assert.Equal(intact, await ValidAsync(rig.Manager));
        Assert.Empty(CheckpointInspection.Folders(rig.Root).Temporary);
        Assert.True(rig.Store.RefusedWrites >= 4);
        Assert.False(rig.Source.Held); // fewer than Checkpoints:PauseAfterFailures in a row

        // Space returns: the next scheduled checkpoint succeeds.
        rig.Store.FreeBytes = long.MaxValue;
        rig.Write(4);
        await WaitAsync(() => status.Snapshot().Checkpoints.Written == 1, "a checkpoint once space returned");
        Assert.Null(status.Snapshot().Checkpoints.LastError);
        Assert.Equal(640, status.Snapshot().Streaming.EventsTrained);
        await rig.CompleteAsync();
        // Only the durable checkpoint's positions were committed, none of the failed ones'.
        Assert.Equal([new StreamPosition("clicks", 0, 640)], Assert.Single(rig.Source.Commits));

        var after = await rig.Manager.ListAsync(CancellationToken.None);
        Assert.All(after, c => Assert.True(c.IsValid, c.Problem));
        Assert.Equal(640, CheckpointInspection.Consumed(after[0].Manifest!));
        Assert.Equal("4", FailureMetric().Match(await ScrapeAsync(rig.Metrics)).Groups[1].Value);
    }

    [Fact]
    public async Task AfterRepeatedCheckpointFailuresConsumptionPausesUntilACheckpointSucceedsAgain()
    {
        await using var rig = await Rig.StartAsync(fixture, pauseAfterFailures: 2);
        var readiness = new ReadinessCheck(rig.Status, new AdminOptions());

        // Two scheduled checkpoints fail: consumption is held, readiness says why, and what was already read is trained.
        rig.Write(9);
        await WaitAsync(() => rig.Status.Snapshot().Streaming.EventsTrained == 9 * BatchSize, "every batch read before the pause");
        var paused = rig.Status.Snapshot();
        Assert.Equal(2, paused.Checkpoints.Failures);
        Assert.True(rig.Source.Held);
        Assert.StartsWith("2 checkpoints failed in a row (last: ", paused.Streaming.PausedReason);
        Assert.Contains(readiness.Problems(paused), p => p.StartsWith("training paused: 2 checkpoints failed in a row", StringComparison.Ordinal));
        Assert.Single(rig.Log.Lines, l => l.StartsWith("Error: Consumption paused: 2 checkpoints failed in a row", StringComparison.Ordinal));

        // Paused, the trainer retries on its own (1 s, then 2 s, ...), without new events; space returns.
        await WaitAsync(() => rig.Status.Snapshot().Checkpoints.Failures >= 3, "a retry while paused");
        rig.Store.FreeBytes = long.MaxValue;
        await WaitAsync(() => rig.Status.Snapshot().Checkpoints.Written == 1, "a retry that succeeds", TimeSpan.FromSeconds(30));
        // The checkpoint counts as written before the trainer releases the hold, so the release is waited for.
        await WaitAsync(() => !rig.Source.Held && rig.Status.Snapshot().Streaming.PausedReason is null, "consumption resumed after the successful retry");
        var resumed = rig.Status.Snapshot();
        Assert.DoesNotContain(readiness.Problems(resumed), p => p.StartsWith("training paused", StringComparison.Ordinal));
        Assert.Equal(9 * BatchSize, CheckpointInspection.Consumed((await rig.Manager.ListAsync(CancellationToken.None))[0].Manifest!));
        await rig.CompleteAsync();
    }

    private static async Task<string> ValidAsync(CheckpointManager manager)
    {
        var all = await manager.ListAsync(CancellationToken.None);
        Assert.All(all, c => Assert.True(c.IsValid, c.Problem));
        return string.Join("; ", all.Select(c => $"{c.Id} {string.Join(",", c.Manifest!.Files.Select(f => f.Sha256))}"));
    }

    private static async Task<string> ScrapeAsync(RecurringMetrics metrics)
    {
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    private static async Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [GeneratedRegex(@"^recurring_checkpoint_failures_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex FailureMetric();

    /// <summary>A streaming trainer on the seed checkpoint, writing through a <see cref="FillingStore"/> that starts full (100 kB free).</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly Channel<StreamItem> _items = Channel.CreateUnbounded<StreamItem>();
        private readonly ServiceProvider _services;
        private readonly RestoredCheckpoint _restored;
        private readonly FileDeadLetterSink _deadLetters;
        private readonly StreamBatches _batches;
        private readonly Task _run;

        private Rig(ReliabilityFixture fixture, string root, int pauseAfterFailures, ListLogger log, FillingStore store, CheckpointManager manager,
            RestoredCheckpoint restored, ServiceProvider services)
        {
            (Root, Log, Store, Manager, _restored, _services) = (root, log, store, manager, restored, services);
            Status = services.GetRequiredService<DaemonStatus>();
            Metrics = new RecurringMetrics(Status, new AdminOptions(), services.GetRequiredService<TrainStepDurations>());
            var schedule = new CheckpointOptions { Directory = root, EveryEvents = EveryEvents, EverySeconds = 3600, PauseAfterFailures = pauseAfterFailures };
            _deadLetters = new FileDeadLetterSink(Path.Combine(root, "dead-letters.jsonl"));
            var writer = new CheckpointWriter(manager, schedule, [new RetentionObserver(manager, log.For<RetentionObserver>())],
                services.GetRequiredService<StatusCell<CheckpointState>>(), TimeProvider.System, log.For<CheckpointWriter>());
            var trainer = new StreamingTrainer(restored.Trainer, restored.Manifest, new StreamingOptions { MaxBatchSize = BatchSize }, _deadLetters, writer,
                new CheckpointScheduler(schedule, TimeProvider.System), services.GetRequiredService<StreamingStatus>(), TimeProvider.System, log.For<StreamingTrainer>());
            _batches = new StreamBatches(fixture, restored.Model.Encoder, BatchSize);
            _run = trainer.RunAsync(_items.Reader, Source, Source, CancellationToken.None);
        }

        public string Root { get; }
        public ListLogger Log { get; }
        public FillingStore Store { get; }
        public CheckpointManager Manager { get; }
        public DaemonStatus Status { get; }
        public RecurringMetrics Metrics { get; }
        public SourceRecorder Source { get; } = new();

        public static async Task<Rig> StartAsync(ReliabilityFixture fixture, int pauseAfterFailures)
        {
            var root = Directory.CreateTempSubdirectory("recurring-full-store-").FullName;
            ReliabilityFixture.CopyCheckpoints(fixture.SeedCheckpoints, root);
            var store = new FillingStore(root) { FreeBytes = 100_000 }; // a checkpoint of this model takes about 630 kB
            var log = new ListLogger();
            var manager = new CheckpointManager(store, new CheckpointOptions { Directory = root }, log.For<CheckpointManager>());
            var restored = (await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;
            var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddRecurringStatus().BuildServiceProvider();
            // What the training service says while streaming, so readiness judges the trainer alone.
            services.GetRequiredService<StatusCell<ActivityState>>().Update(a => a with { Activity = DaemonActivity.Streaming, ModelLoaded = true, TrainerRunning = true });
            return new Rig(fixture, root, pauseAfterFailures, log, store, manager, restored, services);
        }

        /// <summary>The next <paramref name="batches"/> batches of good events, as the reader would hand them over.</summary>
        public void Write(int batches)
        {
            foreach (var batch in _batches.Next(batches)) _items.Writer.TryWrite(batch);
        }

        /// <summary>The source stops: the trainer trains what is left, writes its last checkpoint and returns.</summary>
        public async Task CompleteAsync()
        {
            _items.Writer.TryComplete();
            await _run;
        }

        public async ValueTask DisposeAsync()
        {
            _items.Writer.TryComplete();
            try
            {
                await _run;
            }
            catch (IncompleteStopException)
            {
                // A test that fails part-way leaves the store full.
            }
            _deadLetters.Dispose();
            _restored.Dispose();
            await _services.DisposeAsync();
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>A local store with a byte budget for new files: a write beyond it fails part-way, with ENOSPC, as on a full disk.</summary>
    private sealed class FillingStore(string root) : ICheckpointStore
    {
        private const int NoSpaceLeft = 28;
        private readonly LocalCheckpointStore _inner = new(root);
        private int _refused;

        public long FreeBytes { get; set; }
        public int RefusedWrites => _refused;
        public string Location => _inner.Location;

        public Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
            _inner.WriteFileAsync(folder, file, (stream, ct) => write(new Budgeted(stream, this), ct), cancellationToken);

        public Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken) => _inner.ListFoldersAsync(cancellationToken);
        public Task CreateFolderAsync(string folder, CancellationToken cancellationToken) => _inner.CreateFolderAsync(folder, cancellationToken);
        public Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken) => _inner.OpenReadAsync(folder, file, cancellationToken);
        public Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken) => _inner.FileExistsAsync(folder, file, cancellationToken);
        public Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken) => _inner.DeleteFileAsync(folder, file, cancellationToken);
        public Task SyncFolderAsync(string folder, CancellationToken cancellationToken) => _inner.SyncFolderAsync(folder, cancellationToken);
        public Task SyncRootAsync(CancellationToken cancellationToken) => _inner.SyncRootAsync(cancellationToken);
        public Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken) => _inner.RenameFolderAsync(from, to, cancellationToken);
        public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken) => _inner.DeleteFolderAsync(folder, cancellationToken);

        private sealed class Budgeted(Stream inner, FillingStore store) : Stream
        {
            private long _written;

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override void Write(ReadOnlySpan<byte> buffer)
            {
                if (_written + buffer.Length > store.FreeBytes)
                {
                    Interlocked.Increment(ref store._refused);
                    throw new IOException("No space left on device", NoSpaceLeft);
                }
                inner.Write(buffer);
                _written += buffer.Length;
            }

            public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Flush() => inner.Flush();
            public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }

    /// <summary>Keeps every log line as "Level: message".</summary>
    private sealed class ListLogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines) return _lines.ToArray();
            }
        }

        public ILogger<T> For<T>() => new Typed<T>(this);

        private sealed class Typed<T>(ListLogger owner) : ILogger<T>
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines) owner._lines.Add($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
