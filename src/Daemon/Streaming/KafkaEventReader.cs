using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Recurring.Core.Data;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Reads click events from Kafka on a dedicated thread and hands the trainer batches, in order, through a small
/// bounded queue (so parsing and training overlap without buffering much).
/// <list type="bullet">
/// <item>Partitions come from the consumer group, but each one starts at the position the restored checkpoint holds
/// for it; a partition the checkpoint does not know starts at Kafka:StartFrom (earliest or latest), never at a
/// committed group offset, which may be ahead of the restored model.</item>
/// <item>Offsets are committed only when the trainer says so, with the positions its durable checkpoint holds.</item>
/// <item>When partitions leave (rebalance), the reader stops, lets the trainer train and checkpoint everything read
/// so far, commits, and only then lets the partitions go (see <see cref="PartitionsLeaving"/>). Their positions stay:
/// a partition that comes back (a session that lapsed during a broker outage is lost and reassigned) resumes right
/// after the last event this model trained from it, not at Kafka:StartFrom.</item>
/// </list>
/// </summary>
public sealed class KafkaEventReader : IDisposable
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
    private readonly FeatureHashing _hashing;
    private readonly DaemonStatus _status;
    private readonly ILogger _logger;
    private readonly Channel<StreamItem> _queue = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly ConcurrentQueue<IReadOnlyList<TopicPartitionOffset>> _commits = new();
    private readonly Dictionary<TopicPartition, long> _nextToRead;
    private readonly TaskCompletionSource<IReadOnlyList<TopicPartitionOffset>> _finalCommit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CriteoRecord _record = new();
    private readonly CancellationTokenSource _abort = new();
    private CancellationTokenSource? _stoppingSource;
    private IConsumer<byte[]?, byte[]>? _consumer;
    private Thread? _thread;
    private CancellationToken _stopping;
    private StreamBatch? _pending;
    private long _pendingSince;
    private volatile bool _pauseRequested;
    private bool _closing;
    private bool _paused;
    private long _lastLagCheck;

    /// <param name="startPositions">Next offset per partition, from the restored checkpoint.</param>
    public KafkaEventReader(KafkaOptions kafka, StreamingOptions options, FeatureHashing hashing, IReadOnlyDictionary<TopicPartition, long> startPositions,
        DaemonStatus status, ILogger logger)
    {
        _kafka = kafka;
        _options = options;
        _hashing = hashing;
        _status = status;
        _logger = logger;
        _nextToRead = new Dictionary<TopicPartition, long>(startPositions);
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
    public void Commit(IReadOnlyList<TopicPartitionOffset> positions)
    {
        if (positions.Count > 0) _commits.Enqueue(positions);
    }

    public void Pause() => _pauseRequested = true;

    public void Resume() => _pauseRequested = false;

    /// <summary>
    /// After the trainer drained <see cref="Items"/> and wrote its last checkpoint: commits those positions, leaves
    /// the group and closes the consumer.
    /// </summary>
    public async Task CompleteAsync(IReadOnlyList<TopicPartitionOffset> finalPositions)
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
                if (BatchIsDue()) Send(TakePending());
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
            if (_pending is not null) Send(TakePending(), ignoreStopping: true);
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
        var start = _kafka.StartFrom == KafkaStartFrom.Earliest ? Offset.Beginning : Offset.End;
        var assigned = partitions
            .Select(p => new TopicPartitionOffset(p, _nextToRead.TryGetValue(p, out var next) ? new Offset(next) : start))
            .ToList();
        _logger.LogInformation("Assigned {Partitions}", string.Join(", ", assigned.Select(Describe)));
        _status.Update(s => s with { KafkaReachable = true, KafkaError = null });
        return assigned;
    }

    private void OnLeaving(List<TopicPartitionOffset> partitions, bool commit)
    {
        if (_closing) return;
        _logger.LogInformation("Partitions {Verb}: {Partitions}; training and checkpointing what was read from them first",
            commit ? "revoked" : "lost", string.Join(", ", partitions.Select(p => p.TopicPartition)));
        if (_pending is not null) Send(TakePending(), ignoreStopping: true);
        var leaving = new PartitionsLeaving(partitions.Select(p => p.TopicPartition).ToList());
        Send(leaving, ignoreStopping: true);
        // Blocking here is the point: the partitions must not move before what was read from them is checkpointed.
        var positions = leaving.Done.Task.WaitAsync(_abort.Token).GetAwaiter().GetResult().Where(p => leaving.Partitions.Contains(p.TopicPartition)).ToList();
        if (commit) CommitNow(_consumer!, positions);
        // Should a partition come back (a rejoin after the session was lost in a broker outage), reading resumes after
        // the last event trained from it, not at Kafka:StartFrom: that would train the partition again, or skip it.
        foreach (var partition in leaving.Partitions) _nextToRead.Remove(partition);
        foreach (var position in positions) _nextToRead[position.TopicPartition] = position.Offset.Value;
    }

    private void OnError(Error error)
    {
        KafkaClients.LogError(_logger, error);
        if (error.IsFatal || error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport or ErrorCode.Local_Resolve)
            _status.Update(s => s with { KafkaReachable = false, KafkaError = error.Reason });
    }

    private void Add(ConsumeResult<byte[]?, byte[]> result)
    {
        if (_nextToRead.TryGetValue(result.TopicPartition, out var expected) && result.Offset.Value > expected)
            CountDeleted(result.TopicPartition, expected, result.Offset.Value);
        var message = new ConsumedMessage(result.TopicPartitionOffset, result.Message.Value ?? [], result.Message.Key);
        var batch = _pending ??= NewBatch();
        if (CriteoLineParser.TryParse(message.Payload, _record, out var kind, out var reason))
        {
            batch.Features.Add(_record, _hashing);
            batch.Events.Add(message);
        }
        else
        {
            batch.Malformed.Add(new MalformedMessage(message, kind, reason));
        }
        batch.NextOffsets[result.TopicPartition] = result.Offset.Value + 1;
        _nextToRead[result.TopicPartition] = result.Offset.Value + 1;
        if (!_status.Current.KafkaReachable) _status.Update(s => s with { KafkaReachable = true, KafkaError = null });
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
        _status.Update(s => s with { OffsetsDeleted = s.OffsetsDeleted + deleted });
    }

    private StreamBatch NewBatch()
    {
        _pendingSince = Stopwatch.GetTimestamp();
        return new StreamBatch(_options.MaxBatchSize);
    }

    private bool BatchIsDue() =>
        _pending is { } batch && (batch.Features.IsFull || batch.Consumed >= 4 * _options.MaxBatchSize ||
                                   Stopwatch.GetElapsedTime(_pendingSince).TotalMilliseconds >= _options.MaxBatchWaitMilliseconds);

    /// <summary>Until the pending batch is due, or <see cref="MaxPollWait"/> when that is sooner.</summary>
    private TimeSpan PollTimeout()
    {
        var wait = TimeSpan.FromMilliseconds(_options.MaxBatchWaitMilliseconds);
        if (_pending is null) return wait < MaxPollWait ? wait : MaxPollWait;
        var left = wait - Stopwatch.GetElapsedTime(_pendingSince);
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left < MaxPollWait ? left : MaxPollWait;
    }

    private StreamBatch TakePending()
    {
        var batch = _pending!;
        _pending = null;
        return batch;
    }

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

    private void CommitNow(IConsumer<byte[]?, byte[]> consumer, IReadOnlyList<TopicPartitionOffset> positions)
    {
        var owned = positions.Where(p => consumer.Assignment.Contains(p.TopicPartition)).ToList();
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
        bool wanted = _pauseRequested;
        if (wanted == _paused && (!wanted || consumer.Assignment.Count == 0)) return;
        if (wanted) consumer.Pause(consumer.Assignment);
        else consumer.Resume(consumer.Assignment);
        _paused = wanted;
        _status.Update(s => s with { Paused = wanted });
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
            long position = _nextToRead.TryGetValue(partition, out var next) ? next : watermarks.Low.Value;
            lags.Add(new PartitionLag(partition.Topic, partition.Partition.Value, position, Math.Max(watermarks.High.Value, position)));
        }
        if (!_status.Current.KafkaReachable && consumer.Assignment.FirstOrDefault() is { } probe)
        {
            try
            {
                consumer.QueryWatermarkOffsets(probe, ProbeTimeout);
                _status.Update(s => s with { KafkaReachable = true, KafkaError = null });
            }
            catch (KafkaException e)
            {
                _status.Update(s => s with { KafkaReachable = false, KafkaError = e.Error.Reason });
            }
        }
        _status.Update(s => s with { Partitions = lags });
    }

    private static string Describe(TopicPartitionOffset p) =>
        $"{p.Topic}[{p.Partition.Value}]@{(p.Offset == Offset.Beginning ? "earliest" : p.Offset == Offset.End ? "latest" : p.Offset.Value.ToString())}";

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
