using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Reads click events from Kafka on a dedicated thread and hands the trainer batches (made by a
/// <see cref="StreamBatcher"/>), in order, through a small bounded queue, so parsing and training overlap without
/// buffering much.
/// <list type="bullet">
/// <item>Partitions come from the consumer group, but each one starts at the position the restored checkpoint holds
/// for it; a partition the checkpoint does not know starts at Kafka:StartFrom (earliest or latest), never at a
/// committed group offset, which may be ahead of the restored model. That start is resolved to a concrete offset at
/// assignment and handed to the trainer, so the next checkpoint holds it: a restart goes on from there even when no
/// event came from the partition meanwhile, instead of looking up "latest" again and skipping what arrived.</item>
/// <item>A read that lands before the position expected (a topic deleted and recreated, a position past the log end
/// that the brokers reset to the earliest offset) is logged and counted: those offsets may be trained a second time.</item>
/// <item>Offsets are committed only when asked (<see cref="Commit"/>), with the positions of a durable checkpoint.</item>
/// <item>When partitions leave (rebalance), the reader stops, lets the trainer train and checkpoint everything read
/// so far, commits, and only then lets the partitions go (see <see cref="PartitionsLeaving"/>). Their positions stay:
/// a partition that comes back (a session that lapsed during a broker outage is lost and reassigned) resumes right
/// after the last event this model trained from it, not at Kafka:StartFrom.</item>
/// <item>Consumption pauses while the operator (<see cref="Pause"/>) or the trainer (<see cref="Hold"/>) asks; the
/// consumer keeps polling meanwhile, so it stays in its group.</item>
/// </list>
/// It owns the reader part of the status: partitions and lag, reachability, pause, events deleted unread.
/// </summary>
public sealed class KafkaEventReader : IPositionCommitter, IConsumptionGate, IDisposable
{
    private const int QueueCapacity = 4;
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longest a single read blocks, whatever Streaming:MaxBatchWaitMilliseconds says: the loop must come round to
    /// see a stop, a pause or a commit request even when no message arrives.
    /// </summary>
    private static readonly TimeSpan MaxPollWait = TimeSpan.FromMilliseconds(100);

    /// <summary>How long <see cref="Dispose"/> waits for an aborted reader to leave the group.</summary>
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

    private readonly KafkaOptions _kafka;
    private readonly StreamingOptions _options;
    private readonly StreamBatcher _batcher;
    private readonly StatusCell<ReaderState> _state;
    private readonly ILogger _logger;
    private readonly KafkaErrorLog _errors;
    private readonly Channel<StreamItem> _queue = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly ConcurrentQueue<IReadOnlyList<StreamPosition>> _commits = new();
    private readonly Dictionary<StreamPartition, long> _nextToRead;
    private readonly TaskCompletionSource<IReadOnlyList<StreamPosition>> _finalCommit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private CancellationTokenSource? _stoppingSource;
    private IConsumer<byte[]?, byte[]>? _consumer;
    private Thread? _thread;
    private CancellationToken _stopping;
    private volatile bool _pauseRequested;
    private volatile bool _held;
    private bool _closing;
    private bool _paused;
    private long _lastLagCheck;

    /// <param name="startPositions">Next offset per partition, from the restored checkpoint.</param>
    public KafkaEventReader(KafkaOptions kafka, StreamingOptions options, FeatureEncoder encoder, IEnumerable<StreamPosition> startPositions,
        StatusCell<ReaderState> state, ILogger logger)
    {
        _kafka = kafka;
        _options = options;
        _batcher = new StreamBatcher(options, encoder, EventParsers.For(kafka.Format, encoder.Schema));
        _state = state;
        _logger = logger;
        _errors = new KafkaErrorLog(logger);
        _nextToRead = startPositions.ToDictionary(p => p.Of, p => p.NextOffset);
    }

    /// <summary>Batches and rebalance requests for the trainer. Completes when the reader stops.</summary>
    public ChannelReader<StreamItem> Items => _queue.Reader;

    /// <summary>Starts reading on a dedicated thread; <paramref name="stopping"/> ends it (see <see cref="CompleteAsync"/>).</summary>
    public void Start(CancellationToken stopping)
    {
        _stoppingSource = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abort.Token);
        _stopping = _stoppingSource.Token;
        var config = _kafka.ToConsumerConfig();
        // A fetch may wait this long for data; longer than a batch may wait would delay every quiet-time batch.
        config.FetchWaitMaxMs ??= Math.Min(500, _options.MaxBatchWaitMilliseconds);
        _consumer = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnLeaving(partitions, commit: true))
            .SetPartitionsLostHandler((_, partitions) => OnLeaving(partitions, commit: false))
            .SetErrorHandler((_, error) => OnError(error))
            .SetLogHandler((_, message) => KafkaClients.Log(_logger, message))
            .Build();
        _consumer.Subscribe(_kafka.Topic);
        _thread = new Thread(Run) { Name = "kafka-reader", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Asks the reader to commit these positions (those of a durable checkpoint) at its next turn.</summary>
    public void Commit(IReadOnlyList<StreamPosition> positions)
    {
        if (positions.Count > 0) _commits.Enqueue(positions);
    }

    public void Pause() => _pauseRequested = true;

    public void Resume() => _pauseRequested = false;

    /// <summary>The trainer's pause, apart from the operator's: consumption resumes when neither holds it.</summary>
    public void Hold() => _held = true;

    public void Release() => _held = false;

    /// <summary>
    /// After the trainer drained <see cref="Items"/> and wrote its last checkpoint: commits those positions, leaves
    /// the group and closes the consumer.
    /// </summary>
    public async Task CompleteAsync(IReadOnlyList<StreamPosition> finalPositions)
    {
        _finalCommit.TrySetResult(finalPositions);
        if (_thread is { } thread) await Task.Run(thread.Join);
    }

    private void Run()
    {
        var consumer = _consumer!;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                CommitRequested(consumer);
                ApplyPause(consumer);
                var result = consumer.Consume(PollTimeout());
                if (result is { IsPartitionEOF: false, Message: not null }) Add(result);
                if (_batcher.IsDue) Send(_batcher.Take());
                ReportLag(consumer);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "The Kafka reader failed");
            _queue.Writer.TryComplete(e);
            _closing = true;
            consumer.Close();
            return;
        }

        // Stopping: what was read goes to the trainer; it trains it, checkpoints, and hands back the positions.
        try
        {
            if (_batcher.HasPending) Send(_batcher.Take(), ignoreStopping: true);
            _queue.Writer.TryComplete();
            var positions = _finalCommit.Task.WaitAsync(_abort.Token).GetAwaiter().GetResult();
            CommitRequested(consumer);
            CommitNow(consumer, positions);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The trainer failed (see Dispose): nothing to commit; the next start resumes from the last checkpoint.
            _queue.Writer.TryComplete();
        }
        finally
        {
            // Close revokes the assignment once more; the final commit already covered it.
            _closing = true;
            consumer.Close();
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        var assigned = new List<TopicPartitionOffset>(partitions.Count);
        var described = new List<string>(partitions.Count);
        foreach (var partition in partitions)
        {
            if (_nextToRead.TryGetValue(Of(partition), out var next))
            {
                assigned.Add(new TopicPartitionOffset(partition, next));
                described.Add($"{Of(partition)}@{next} (checkpoint)");
                continue;
            }
            var (start, how) = ResolveStart(partition);
            assigned.Add(new TopicPartitionOffset(partition, start));
            described.Add(start.IsSpecial ? $"{Of(partition)}@{how}" : $"{Of(partition)}@{start.Value} ({how})");
            if (start.IsSpecial) continue;
            _nextToRead[Of(partition)] = start.Value;
            _batcher.Started(Of(partition), start.Value);
        }
        _logger.LogInformation("Assigned {Partitions}", string.Join(", ", described));
        _state.Update(s => s with { Reachable = true, Error = null });
        _lastLagCheck = 0; // the status lists the new partitions at the next turn, not a lag interval later
        return assigned;
    }

    /// <summary>
    /// Kafka:StartFrom as a concrete offset (the partition's log start or end now); librdkafka's logical offset, resolved
    /// by the brokers at the first fetch and known to nobody else, only when the brokers do not say.
    /// </summary>
    private (Offset Start, string How) ResolveStart(TopicPartition partition)
    {
        bool earliest = _kafka.StartFrom == KafkaStartFrom.Earliest;
        try
        {
            var watermarks = _consumer!.QueryWatermarkOffsets(partition, ProbeTimeout);
            return (earliest ? watermarks.Low : watermarks.High, earliest ? "earliest" : "latest");
        }
        catch (KafkaException e)
        {
            _logger.LogWarning("{Partition}: could not resolve Kafka:StartFrom ({Reason}); reading starts at the {StartFrom} offset the brokers find",
                Of(partition), e.Error.Reason, _kafka.StartFrom);
            return (earliest ? Offset.Beginning : Offset.End, earliest ? "earliest" : "latest");
        }
    }

    private void OnLeaving(List<TopicPartitionOffset> partitions, bool commit)
    {
        if (_closing) return;
        _logger.LogInformation("Partitions {Verb}: {Partitions}; training and checkpointing what was read from them first",
            commit ? "revoked" : "lost", string.Join(", ", partitions.Select(p => p.TopicPartition)));
        if (_batcher.HasPending) Send(_batcher.Take(), ignoreStopping: true);
        var leaving = new PartitionsLeaving(partitions.Select(p => Of(p.TopicPartition)).ToList());
        Send(leaving, ignoreStopping: true);
        // Blocking here is the point: the partitions must not move before what was read from them is checkpointed.
        // The answer holds durable positions only: what a failed checkpoint did not save is not committed.
        var durable = leaving.Done.Task.WaitAsync(_abort.Token).GetAwaiter().GetResult().Where(p => leaving.Partitions.Contains(p.Of)).ToList();
        if (commit) CommitNow(_consumer!, durable);
        // _nextToRead keeps the position after the last event read, which the trainer has trained by now: should a
        // partition come back (a rejoin after the session was lost in a broker outage), reading resumes there, not at
        // Kafka:StartFrom, which would train the partition again, or skip it.
    }

    private void OnError(Error error)
    {
        _errors.Report(error);
        if (error.IsFatal || error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport or ErrorCode.Local_Resolve)
            _state.Update(s => s with { Reachable = false, Error = error.Reason });
    }

    private void Add(ConsumeResult<byte[]?, byte[]> result)
    {
        var partition = Of(result.TopicPartition);
        if (_nextToRead.TryGetValue(partition, out var expected) && result.Offset.Value != expected)
        {
            if (result.Offset.Value > expected) CountDeleted(result.TopicPartition, expected, result.Offset.Value);
            else CountRewound(result.TopicPartition, expected, result.Offset.Value);
        }
        _batcher.Add(new ConsumedMessage(result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Value ?? [], result.Message.Key,
            result.Message.Timestamp.UtcDateTime));
        _nextToRead[partition] = result.Offset.Value + 1;
        if (!_state.Current.Reachable) _state.Update(s => s with { Reachable = true, Error = null });
    }

    /// <summary>
    /// A read that lands past the next offset expected, over offsets below the partition's log start: the brokers
    /// deleted them (retention) before they were read, and librdkafka reset to the earliest it could find. Those
    /// events are lost to this model; say so loudly, since only a consumer that keeps up with the topic's retention
    /// can prevent it. Other gaps (a transaction's commit marker, aborted or compacted records) are not losses, and the
    /// log start (from the last fetch, no request of its own) tells them apart.
    /// </summary>
    private void CountDeleted(TopicPartition partition, long expected, long read)
    {
        var logStart = _consumer!.GetWatermarkOffsets(partition).Low;
        if (logStart.IsSpecial || logStart.Value <= expected) return;
        long deleted = Math.Min(read, logStart.Value) - expected;
        _logger.LogWarning("{Partition}: offsets {First} to {Last} were deleted (retention) before they were read: {Count} events will never be trained; " +
                           "training is slower than the topic's retention allows", partition, expected, expected + deleted - 1, deleted);
        _state.Update(s => s with { OffsetsDeleted = s.OffsetsDeleted + deleted });
    }

    /// <summary>
    /// A read before the position expected: the position lay past the partition's log end (the topic was deleted and
    /// recreated, or truncated by an unclean leader election), and librdkafka reset it to the earliest offset. Those
    /// offsets are read, and trained, again; whether they hold new events or old ones only the topic's owner knows, so
    /// say so loudly and count them rather than retrain silently.
    /// </summary>
    private void CountRewound(TopicPartition partition, long expected, long read)
    {
        long rewound = expected - read;
        _logger.LogWarning("{Partition}: read offset {Read} where {Expected} was next: the position lay past the log end (topic recreated or truncated?) and " +
                           "the brokers reset it to the earliest offset; {Count} offsets are read again, which trains their events a second time if they " +
                           "are the same events", Of(partition), read, expected, rewound);
        _state.Update(s => s with { OffsetsRewound = s.OffsetsRewound + rewound });
    }

    /// <summary>Until the pending batch is due, or <see cref="MaxPollWait"/> when that is sooner.</summary>
    private TimeSpan PollTimeout() => _batcher.TimeUntilDue < MaxPollWait ? _batcher.TimeUntilDue : MaxPollWait;

    private void Send(StreamItem item, bool ignoreStopping = false)
    {
        if (_queue.Writer.TryWrite(item)) return;
        // A dedicated thread, not async code: waiting here is how back-pressure reaches the consumer.
        _queue.Writer.WriteAsync(item, ignoreStopping ? _abort.Token : _stopping).AsTask().GetAwaiter().GetResult();
    }

    private void CommitRequested(IConsumer<byte[]?, byte[]> consumer)
    {
        while (_commits.TryDequeue(out var positions)) CommitNow(consumer, positions);
    }

    private void CommitNow(IConsumer<byte[]?, byte[]> consumer, IReadOnlyList<StreamPosition> positions)
    {
        var owned = positions
            .Select(p => new TopicPartitionOffset(p.Topic, new Partition(p.Partition), new Offset(p.NextOffset)))
            .Where(p => consumer.Assignment.Contains(p.TopicPartition))
            .ToList();
        if (owned.Count == 0) return;
        try
        {
            consumer.Commit(owned);
        }
        catch (KafkaException e)
        {
            // The checkpoint is the source of truth; a missed commit only makes the lag metric stale.
            _logger.LogWarning("Could not commit offsets for lag monitoring: {Reason}", e.Error.Reason);
        }
    }

    private void ApplyPause(IConsumer<byte[]?, byte[]> consumer)
    {
        bool wanted = _pauseRequested || _held;
        if (wanted == _paused && (!wanted || consumer.Assignment.Count == 0)) return;
        if (wanted) consumer.Pause(consumer.Assignment);
        else consumer.Resume(consumer.Assignment);
        _paused = wanted;
        _state.Update(s => s with { Paused = wanted });
    }

    /// <summary>Lag from the watermarks the consumer already fetched; when reads stall, one query to the brokers tells reachability.</summary>
    private void ReportLag(IConsumer<byte[]?, byte[]> consumer)
    {
        if (Stopwatch.GetElapsedTime(_lastLagCheck) < LagInterval) return;
        _lastLagCheck = Stopwatch.GetTimestamp();
        var lags = new List<PartitionLag>();
        foreach (var partition in consumer.Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(partition);
            long position = _nextToRead.TryGetValue(Of(partition), out var next) ? next : watermarks.Low.Value;
            lags.Add(new PartitionLag(partition.Topic, partition.Partition.Value, position, Math.Max(watermarks.High.Value, position)));
        }
        if (!_state.Current.Reachable && consumer.Assignment.FirstOrDefault() is { } probe)
        {
            try
            {
                consumer.QueryWatermarkOffsets(probe, ProbeTimeout);
                _state.Update(s => s with { Reachable = true, Error = null });
            }
            catch (KafkaException e)
            {
                _state.Update(s => s with { Reachable = false, Error = e.Error.Reason });
            }
        }
        _state.Update(s => s with { Partitions = lags });
    }

    private static StreamPartition Of(TopicPartition partition) => new(partition.Topic, partition.Partition.Value);

    /// <summary>
    /// Frees the consumer: after <see cref="CompleteAsync"/>, or, when the trainer failed and will not complete, after
    /// stopping the reading thread without a commit, so the consumer is never freed under a read.
    /// </summary>
    public void Dispose()
    {
        if (_thread is { IsAlive: true } thread)
        {
            _abort.Cancel();
            if (!thread.Join(AbortTimeout))
            {
                _logger.LogWarning("The Kafka reader did not stop within {Seconds} s; its consumer is left to the process exit", AbortTimeout.TotalSeconds);
                return;
            }
        }
        _consumer?.Dispose();
        _stoppingSource?.Dispose();
        _abort.Dispose();
    }
}
