using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
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
        var root = Directory.CreateTempSubdirectory("recurring-full-store-").FullName;
        try
        {
            ReliabilityFixture.CopyCheckpoints(fixture.SeedCheckpoints, root);
            var store = new FillingStore(root) { FreeBytes = 100_000 }; // a checkpoint of this model takes about 630 kB
            var log = new ListLogger();
            var manager = new CheckpointManager(store, new CheckpointOptions { Directory = root }, log.For<CheckpointManager>());
            using var restored = (await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;
            var status = new DaemonStatus();
            var metrics = new RecurringMetrics(status);
            var streaming = new StreamingOptions { MaxBatchSize = BatchSize };
            using var deadLetters = new FileDeadLetterSink(Path.Combine(root, "dead-letters.jsonl"));
            var trainer = new StreamingTrainer(restored.Trainer, restored.Manifest, manager, root, new CheckpointScheduleOptions { EveryEvents = EveryEvents, EverySeconds = 3600 },
                streaming, deadLetters, modelUpdates: null, status, log.For<StreamingTrainer>(), seed: 1);
            var hashing = new FeatureHashing(restored.Model.Config.RowsPerTable);
            using var reader = new KafkaEventReader(new KafkaOptions { BootstrapServers = "127.0.0.1:9" }, streaming, hashing,
                new Dictionary<TopicPartition, long>(), status, log.For<KafkaEventReader>()); // never started: only takes commit requests
            var intact = await ValidAsync(manager);

            var items = Channel.CreateUnbounded<StreamItem>();
            var run = trainer.RunAsync(items.Reader, reader, CancellationToken.None);
            var batches = new BatchMaker(fixture, hashing);

            // Full: 512 events, so four scheduled checkpoints, each failing part-way through its first file.
            foreach (var batch in batches.Next(16)) items.Writer.TryWrite(batch);
            await WaitAsync(() => status.Current.EventsTrained == 512 && status.Current.CheckpointFailures == 4, "512 events and 4 failed checkpoints");
            var s = status.Current;
            Assert.Equal(0, s.CheckpointsWritten);
            Assert.Contains("No space left on device", s.LastCheckpointError);
            Assert.Equal(4, log.Lines.Count(l => l.StartsWith("Error: Checkpoint failed, training goes on and the previous checkpoints are intact", StringComparison.Ordinal)
                                                && l.Contains("No space left on device", StringComparison.Ordinal)));
            Assert.Equal("4", FailureMetric().Match(await ScrapeAsync(metrics)).Groups[1].Value);
            Assert.Equal(intact, await ValidAsync(manager));
            Assert.Empty(CheckpointInspection.Folders(root).Temporary);
            Assert.True(store.RefusedWrites >= 4);

            // Space returns: the next scheduled checkpoint succeeds.
            store.FreeBytes = long.MaxValue;
            foreach (var batch in batches.Next(4)) items.Writer.TryWrite(batch);
            await WaitAsync(() => status.Current.CheckpointsWritten == 1, "a checkpoint once space returned");
            Assert.Null(status.Current.LastCheckpointError);
            Assert.Equal(640, status.Current.EventsTrained);
            items.Writer.Complete();
            await run;

            var after = await manager.ListAsync(CancellationToken.None);
            Assert.All(after, c => Assert.True(c.IsValid, c.Problem));
            Assert.Equal(640, CheckpointInspection.Consumed(after[0].Manifest!));
            Assert.Equal("4", FailureMetric().Match(await ScrapeAsync(metrics)).Groups[1].Value);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [GeneratedRegex(@"^recurring_checkpoint_failures_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex FailureMetric();

    /// <summary>Full batches of good events at consecutive offsets of one partition, as the Kafka reader hands them over.</summary>
    private sealed class BatchMaker(ReliabilityFixture fixture, FeatureHashing hashing)
    {
        private readonly TopicPartition _partition = new("clicks", 0);
        private readonly CriteoRecord _record = new();
        private long _offset;

        public IEnumerable<StreamBatch> Next(int batches)
        {
            for (int b = 0; b < batches; b++)
            {
                var batch = new StreamBatch(BatchSize);
                for (int i = 0; i < BatchSize; i++, _offset++)
                {
                    var payload = fixture.GoodEvent(_offset);
                    Assert.True(CriteoLineParser.TryParse(payload, _record, out _, out _));
                    batch.Features.Add(_record, hashing);
                    batch.Events.Add(new ConsumedMessage(new TopicPartitionOffset(_partition, _offset), payload, ReliabilityFixture.Key(_offset)));
                }
                batch.NextOffsets[_partition] = _offset;
                yield return batch;
            }
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
