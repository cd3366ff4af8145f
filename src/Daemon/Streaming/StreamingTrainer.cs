using System.Diagnostics;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Metrics;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Recurring training: takes batches from the <see cref="KafkaEventReader"/>, scores each one before training on it
/// (progressive AUC, logloss and NE), trains, dead-letters what cannot be used, and checkpoints every so many
/// events or seconds. A checkpoint holds the position after the last trained event of every partition; once it is
/// durable the same positions are committed to Kafka for lag monitoring. Positions only move past an event after
/// it was trained or its dead letter was stored, so restoring any checkpoint and reading on from its positions
/// trains every event exactly once.
/// </summary>
public sealed class StreamingTrainer
{
    public const string ConsumedCounter = "streaming.events_consumed";
    public const string TrainedCounter = "streaming.events_trained";
    public const string BatchesCounter = "streaming.batches";
    public const string SkippedBatchesCounter = "streaming.skipped_batches";
    public const string DeadLetterCounterPrefix = "streaming.dead_lettered.";

    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private readonly DlrmTrainer _trainer;
    private readonly CheckpointManager _checkpoints;
    private readonly string _checkpointDirectory;
    private readonly CheckpointScheduleOptions _schedule;
    private readonly IDeadLetterSink _deadLetters;
    private readonly ModelUpdatePublisher? _modelUpdates;
    private readonly DaemonStatus _status;
    private readonly ILogger _logger;
    private readonly long _seed;
    private readonly SlidingWindowMetrics _progressive;
    private readonly Dictionary<TopicPartition, long> _positions;
    private readonly Dictionary<string, long> _deadLettered;
    private readonly Channel<TaskCompletionSource<CheckpointInfo>> _checkpointRequests = Channel.CreateUnbounded<TaskCompletionSource<CheckpointInfo>>();
    private readonly float[] _scores;
    private long _consumed;
    private long _trained;
    private long _batches;
    private long _skippedBatches;
    private long _eventsSinceCheckpoint;
    private long _eventsSinceAttempt;
    private long _lastCheckpointAttempt = Stopwatch.GetTimestamp();
    private long _rateWindowStart = Stopwatch.GetTimestamp();
    private long _rateWindowSamples;
    private double _samplesPerSecond;

    /// <param name="restored">The manifest training resumes from: its Kafka positions and counters carry on.</param>
    public StreamingTrainer(DlrmTrainer trainer, CheckpointManifest? restored, CheckpointManager checkpoints, string checkpointDirectory,
        CheckpointScheduleOptions schedule, StreamingOptions options, IDeadLetterSink deadLetters, ModelUpdatePublisher? modelUpdates,
        DaemonStatus status, ILogger logger, long seed)
    {
        _trainer = trainer;
        _checkpoints = checkpoints;
        _checkpointDirectory = checkpointDirectory;
        _schedule = schedule;
        _deadLetters = deadLetters;
        _modelUpdates = modelUpdates;
        _status = status;
        _logger = logger;
        _seed = seed;
        _progressive = new SlidingWindowMetrics(options.MetricsWindowEvents);
        _scores = new float[options.MaxBatchSize];
        _positions = restored is null || restored.Phase.Kind != PhaseKind.Streaming
            ? []
            : restored.Positions.Kafka.ToDictionary(p => new TopicPartition(p.Topic, p.Partition), p => p.NextOffset);
        var counters = restored?.Phase.Kind == PhaseKind.Streaming ? restored.Counters.Other : new Dictionary<string, long>();
        _consumed = counters.GetValueOrDefault(ConsumedCounter);
        _trained = counters.GetValueOrDefault(TrainedCounter);
        _batches = counters.GetValueOrDefault(BatchesCounter);
        _skippedBatches = counters.GetValueOrDefault(SkippedBatchesCounter);
        _deadLettered = counters.Where(c => c.Key.StartsWith(DeadLetterCounterPrefix, StringComparison.Ordinal))
            .ToDictionary(c => c.Key[DeadLetterCounterPrefix.Length..], c => c.Value);
        PublishStatus();
    }

    /// <summary>Messages passed in this model's streaming history (trained or dead-lettered), restored counts included.</summary>
    public long EventsConsumed => _consumed;

    /// <summary>The next offset to read per partition, as of the last trained batch.</summary>
    public IReadOnlyDictionary<TopicPartition, long> Positions => _positions;

    /// <summary>Asks for a checkpoint between two batches (POST /checkpoints); completes when it is durable.</summary>
    public Task<CheckpointInfo> RequestCheckpointAsync(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource<CheckpointInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => request.TrySetCanceled(cancellationToken));
        _checkpointRequests.Writer.TryWrite(request);
        return request.Task;
    }

    /// <summary>
    /// Trains until the reader completes its queue, which it does when stopping after handing over everything it
    /// read; then writes a last checkpoint and returns its positions for the reader's final commit.
    /// <paramref name="cancellationToken"/> only aborts dead-letter writes that cannot complete (Kafka down at
    /// shutdown); the run then ends without a last checkpoint and the next start replays from the previous one.
    /// </summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> RunAsync(ChannelReader<StreamItem> items, KafkaEventReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            await ServeCheckpointRequestsAsync(reader);
            if (items.TryRead(out var item))
            {
                if (item is StreamBatch batch)
                {
                    await TrainAsync(batch, cancellationToken);
                }
                else if (item is PartitionsLeaving leaving)
                {
                    await CheckpointAsync(reader: null, force: true);
                    // The positions stay: should a partition come back (a rejoin after a lost session), this model
                    // goes on after the last event it trained from it, and every checkpoint until then says so.
                    leaving.Done.TrySetResult(CurrentPositions());
                }
            }
            else if (!await WaitForItemsAsync(items))
            {
                break;
            }
            if (CheckpointIsDue()) await CheckpointAsync(reader);
        }

        if (_eventsSinceCheckpoint > 0) await CheckpointAsync(reader: null, force: true);
        _checkpointRequests.Writer.TryComplete();
        while (_checkpointRequests.Reader.TryRead(out var pending)) pending.TrySetCanceled();
        return CurrentPositions();
    }

    /// <summary>False once the queue is complete; true when items arrived or after an idle tick (time-based checkpoints, requests).</summary>
    private static async Task<bool> WaitForItemsAsync(ChannelReader<StreamItem> items)
    {
        using var tick = new CancellationTokenSource(IdleTick);
        try
        {
            return await items.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException) when (tick.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task TrainAsync(StreamBatch batch, CancellationToken cancellationToken)
    {
        foreach (var malformed in batch.Malformed)
            await DeadLetterAsync(malformed.Message, DeadLetterReason.Malformed(malformed.Kind, malformed.Reason), cancellationToken);

        int count = batch.Features.Count;
        if (count > 0)
        {
            bool applied = _trainer.TrainAndScore(batch.Features, _scores);
            if (applied)
            {
                var labels = batch.Features.Labels;
                for (int i = 0; i < count; i++) _progressive.Add(_scores[i], labels[i] > 0.5f);
                _trained += count;
            }
            else
            {
                _skippedBatches++;
                _logger.LogWarning("Skipped a batch of {Count} events: its loss or gradients were not finite; dead-lettering it", count);
                var reason = DeadLetterReason.NonFiniteBatch($"the batch's loss or gradients were not finite at step {_trainer.Steps}; the step was skipped");
                foreach (var message in batch.Events) await DeadLetterAsync(message, reason, cancellationToken);
            }
            _batches++;
            _rateWindowSamples += count;
        }

        foreach (var (partition, next) in batch.NextOffsets) _positions[partition] = next;
        _consumed += batch.Consumed;
        _eventsSinceCheckpoint += batch.Consumed;
        _eventsSinceAttempt += batch.Consumed;
        PublishStatus();
    }

    private async Task DeadLetterAsync(ConsumedMessage message, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        var letter = new DeadLetter(message.Payload, message.Key, message.Origin.Topic, message.Origin.Partition.Value, message.Origin.Offset.Value,
            reason, _status.Time.GetUtcNow());
        // Until the letter is stored the position does not move past the event; a failure here stops the trainer
        // rather than losing the event (the host restarts it from the last checkpoint).
        await _deadLetters.WriteAsync(letter, cancellationToken);
        _deadLettered[reason.Kind] = _deadLettered.GetValueOrDefault(reason.Kind) + 1;
    }

    /// <summary>
    /// Counted from the last attempt, not the last success: after a failure (a full disk) the next attempt waits for
    /// the next scheduled point instead of coming after every batch, each one writing until the disk refuses again.
    /// </summary>
    private bool CheckpointIsDue() =>
        _eventsSinceAttempt >= _schedule.EveryEvents ||
        (_eventsSinceCheckpoint > 0 && Stopwatch.GetElapsedTime(_lastCheckpointAttempt).TotalSeconds >= _schedule.EverySeconds);

    private async Task ServeCheckpointRequestsAsync(KafkaEventReader reader)
    {
        while (_checkpointRequests.Reader.TryRead(out var request))
        {
            if (request.Task.IsCompleted) continue;
            var info = await CheckpointAsync(reader, force: true);
            if (info is not null) request.TrySetResult(info);
            else request.TrySetException(new CheckpointException(_status.Current.LastCheckpointError ?? "the checkpoint failed"));
        }
    }

    /// <summary>
    /// Writes a checkpoint; a failure is logged and counted, and training goes on with the previous one intact (the next
    /// attempt comes at the next scheduled point, see <see cref="CheckpointIsDue"/>).
    /// Never cancelled: a write is atomic, so letting it finish during shutdown is both safe and what saves the work.
    /// </summary>
    private async Task<CheckpointInfo?> CheckpointAsync(KafkaEventReader? reader, bool force = false)
    {
        var cancellationToken = CancellationToken.None;
        if (!force && _eventsSinceCheckpoint == 0) return null;
        _lastCheckpointAttempt = Stopwatch.GetTimestamp();
        _eventsSinceAttempt = 0;
        var positions = CurrentPositions();
        var snapshot = new TrainingSnapshot(_trainer, new CheckpointPhase(PhaseKind.Streaming), _seed)
        {
            Positions = new DataPositions([], positions.Select(p => new KafkaPosition(p.Topic, p.Partition.Value, p.Offset.Value)).ToList()),
            Counters = Counters(),
            Metrics = Metrics(),
        };
        CheckpointInfo info;
        try
        {
            info = await _checkpoints.SaveAsync(snapshot, pin: false, cancellationToken);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Checkpoint failed, training goes on and the previous checkpoints are intact: {Reason}", e.Message);
            _status.Update(s => s with { CheckpointFailures = s.CheckpointFailures + 1, LastCheckpointError = e.Message });
            return null;
        }

        _eventsSinceCheckpoint = 0;
        _status.RecordCheckpoint(info, _checkpoints.SkippedCheckpoints);
        _logger.LogInformation("Checkpoint {Id}: step {Step}, {Bytes:F1} MB in {Seconds:F2} s", info.Id, _trainer.Steps, info.Bytes / 1e6, info.Duration.TotalSeconds);
        reader?.Commit(positions);
        await ApplyRetentionAsync(cancellationToken);
        if (_modelUpdates is not null)
        {
            await _modelUpdates.PublishAsync(new ModelUpdate(info.Id, Path.Combine(_checkpointDirectory, info.Id), _trainer.Steps, _trainer.Samples,
                    _status.Current.LastCheckpointUtc ?? _status.Time.GetUtcNow(), snapshot.Metrics),
                cancellationToken);
        }
        return info;
    }

    private async Task ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _checkpoints.ApplyRetentionAsync(cancellationToken);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Retention could not delete old checkpoints: {Reason}", e.Message);
        }
    }

    private List<TopicPartitionOffset> CurrentPositions() =>
        _positions.OrderBy(p => p.Key.Topic, StringComparer.Ordinal).ThenBy(p => p.Key.Partition.Value)
            .Select(p => new TopicPartitionOffset(p.Key, new Offset(p.Value))).ToList();

    private Dictionary<string, long> Counters()
    {
        var counters = new Dictionary<string, long>
        {
            [ConsumedCounter] = _consumed,
            [TrainedCounter] = _trained,
            [BatchesCounter] = _batches,
            [SkippedBatchesCounter] = _skippedBatches,
        };
        foreach (var (kind, count) in _deadLettered) counters[DeadLetterCounterPrefix + kind] = count;
        return counters;
    }

    private Dictionary<string, double> Metrics()
    {
        var metrics = new Dictionary<string, double>
        {
            ["progressive.cumulative_logloss"] = _progressive.CumulativeLogLoss,
            ["progressive.cumulative_ne"] = _progressive.CumulativeNormalizedEntropy,
        };
        if (_progressive.TotalCount > 0)
        {
            var window = _progressive.Window();
            metrics["progressive.auc"] = window.Auc;
            metrics["progressive.logloss"] = window.LogLoss;
            metrics["progressive.ne"] = window.NormalizedEntropy;
        }
        return metrics.Where(m => double.IsFinite(m.Value)).ToDictionary();
    }

    private void PublishStatus()
    {
        var elapsed = Stopwatch.GetElapsedTime(_rateWindowStart);
        if (elapsed >= RateWindow)
        {
            _samplesPerSecond = _rateWindowSamples / elapsed.TotalSeconds;
            _rateWindowStart = Stopwatch.GetTimestamp();
            _rateWindowSamples = 0;
        }
        var model = _trainer.Model;
        var window = _progressive.TotalCount > 0 && _batches % 16 == 0 ? _progressive.Window() : null;
        _status.Update(s => s with
        {
            Steps = _trainer.Steps,
            Samples = _trainer.Samples,
            SamplesPerSecond = _samplesPerSecond,
            EventsConsumed = _consumed,
            EventsTrained = _trained,
            Batches = _batches,
            SkippedBatches = _skippedBatches,
            DeadLettered = new Dictionary<string, long>(_deadLettered),
            ProgressiveWindow = window ?? s.ProgressiveWindow,
            ProgressiveCumulativeLogLoss = _progressive.CumulativeLogLoss,
            ProgressiveCumulativeNe = _progressive.CumulativeNormalizedEntropy,
            BottomWidths = model.Bottom.Widths,
            TopWidths = model.Top.Widths,
        });
    }
}
