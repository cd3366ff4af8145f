using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Metrics;
using Recurring.Core.Training;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Recurring training: takes batches from a channel, scores each one before training on it (progressive AUC,
/// logloss and NE), trains, dead-letters what cannot be used, and checkpoints when its
/// <see cref="CheckpointScheduler"/> says so. A checkpoint holds the position after the last trained event of every
/// partition; once it is durable the same positions go to the <see cref="IPositionCommitter"/>, and only durable
/// positions are ever handed out for a commit (after a failed checkpoint too). Positions only move past an event after
/// it was trained or its dead letter was stored, and dead letters are flushed to disk before the checkpoint that covers
/// them, so restoring any checkpoint and reading on from its positions trains every event exactly once. It pauses
/// consumption (<see cref="IConsumptionGate"/>) while checkpoints keep failing, and after a run of non-finite batches
/// that a rollback to the last good checkpoint did not end (<see cref="SkippedBatchStreak"/>). It owns the streaming
/// and model parts of the status, and beats the heartbeat.
/// </summary>
public sealed class StreamingTrainer
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private readonly DlrmTrainer _trainer;
    private readonly StreamingOptions _options;
    private readonly IDeadLetterSink _deadLetters;
    private readonly CheckpointWriter _checkpoints;
    private readonly CheckpointScheduler _schedule;
    private readonly DeltaWriter? _deltas;
    private readonly StreamingStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _seed;
    private readonly SlidingWindowMetrics _progressive;
    private readonly Dictionary<StreamPartition, long> _positions;
    private readonly Dictionary<string, long> _deadLettered;
    private readonly Dictionary<StreamPartition, DateTimeOffset> _lastTrainedEventUtc = [];
    private readonly float[] _scores;
    private readonly SkippedBatchStreak _streak;
    private StreamingCounters _counters;
    private IReadOnlyList<StreamPosition> _durablePositions;
    private long _rateWindowStart;
    private long _rateWindowSamples;
    private double _samplesPerSecond;
    /// <summary>The batch count when the progressive window was last computed.</summary>
    private long _windowBatches;
    private string _lastCheckpointId;
    private IConsumptionGate? _gate;
    private string? _lastCheckpointError;

    /// <summary>Set when non-finite batches went on after the rollback; cleared by a restart only.</summary>
    private string? _nonFinitePause;

    /// <summary>Set when a rollback failed part-way: the model may be damaged, so no checkpoint is written from it.</summary>
    private string? _damaged;

    /// <summary>Why consumption is held now; null while it is not.</summary>
    private string? _holdReason;

    /// <param name="restored">The checkpoint training resumes from: a streaming one carries its positions and counters on.</param>
    /// <param name="deltas">With Checkpoints:Deltas: writes the deltas between checkpoints.</param>
    public StreamingTrainer(DlrmTrainer trainer, CheckpointManifest? restored, StreamingOptions options, IDeadLetterSink deadLetters,
        CheckpointWriter checkpoints, CheckpointScheduler schedule, StreamingStatus status, TimeProvider time, ILogger<StreamingTrainer> logger,
        DeltaWriter? deltas = null)
    {
        _trainer = trainer;
        _options = options;
        _deadLetters = deadLetters;
        _checkpoints = checkpoints;
        _schedule = schedule;
        _status = status;
        _time = time;
        _logger = logger;
        _seed = restored?.Seed ?? 0;
        _progressive = new SlidingWindowMetrics(options.MetricsWindowEvents);
        _scores = new float[options.MaxBatchSize];
        _positions = restored?.Stage.Kind == TrainingStage.Streaming ? restored.Positions.Kafka.ToDictionary(p => p.Of, p => p.NextOffset) : [];
        _counters = StreamingCounters.From(restored);
        _windowBatches = _counters.Batches;
        _lastCheckpointId = restored?.Id ?? "(none)";
        _streak = new SkippedBatchStreak(options.RollbackAfterSkippedBatches, _lastCheckpointId);
        _durablePositions = Positions;
        _deadLettered = new Dictionary<string, long>(_counters.DeadLettered);
        _rateWindowStart = time.GetTimestamp();
        _deltas = deltas;
        _deltas?.Attach(trainer, restored);
        PublishStatus();
    }

    /// <summary>Messages passed in this model's streaming history (trained or dead-lettered), restored counts included.</summary>
    public long EventsConsumed => _counters.Consumed;

    /// <summary>The cluster and topic the positions are read from, recorded with them in every checkpoint.</summary>
    public StreamSource? Source { get; init; }

    /// <summary>The next offset to read per partition, as of the last trained batch, in topic and partition order.</summary>
    public IReadOnlyList<StreamPosition> Positions =>
        _positions.OrderBy(p => p.Key.Topic, StringComparer.Ordinal).ThenBy(p => p.Key.Partition)
            .Select(p => new StreamPosition(p.Key.Topic, p.Key.Partition, p.Value)).ToList();

    /// <summary>Asks for a checkpoint between two batches (POST /checkpoints); completes when it is durable.</summary>
    public Task<CheckpointInfo> RequestCheckpointAsync(CancellationToken cancellationToken) => _schedule.RequestAsync(cancellationToken);

    /// <summary>
    /// Trains until <paramref name="items"/> completes, which the source does when stopping after handing over
    /// everything it read; then writes a last checkpoint and returns its positions for the source's final commit.
    /// A stop is not a cancellation: what was read is trained and dead-lettered first. <paramref name="abandon"/> (the
    /// host's shutdown timeout running out) only aborts dead-letter writes that cannot complete, such as Kafka down at
    /// shutdown.
    /// </summary>
    /// <exception cref="IncompleteStopException">The run ended without a checkpoint of everything it consumed: the last
    /// checkpoint failed, or <paramref name="abandon"/> cut a dead-letter write short. The next start replays from the
    /// last durable checkpoint.</exception>
    public async Task<IReadOnlyList<StreamPosition>> RunAsync(ChannelReader<StreamItem> items, IPositionCommitter committer, IConsumptionGate gate,
        CancellationToken abandon)
    {
        _gate = gate;
        try
        {
            while (true)
            {
                _status.Heartbeat.Beat();
                await ServeCheckpointRequestsAsync(committer);
                if (items.TryRead(out var item))
                {
                    if (item is StreamBatch batch)
                    {
                        await TrainAsync(batch, abandon);
                    }
                    else if (item is PartitionsLeaving leaving)
                    {
                        // The source commits these itself once it has them (durable ones only: should this checkpoint
                        // fail, the previous one's); the positions stay: should a partition come back (a rejoin after a
                        // lost session), this model goes on after the last event it trained from it, and every
                        // checkpoint until then says so.
                        await CheckpointAsync(committer: null, force: true);
                        leaving.Done.TrySetResult(_durablePositions);
                    }
                }
                else if (!await WaitForItemsAsync(items))
                {
                    break;
                }
                else if (!items.TryPeek(out _) && _windowBatches != _counters.Batches)
                {
                    // Idle: bring the progressive window up to the last batch, which the every-16-batches refresh
                    // may not have reached, so a quiet stream's AUC and NE are not left some batches behind.
                    PublishStatus(refreshWindow: true);
                }
                if (_schedule.IsDue) await CheckpointAsync(committer);
                else if (_deltas is { IsDue: true }) await DeltaAsync(committer);
            }

            if (_schedule.HasUncheckpointedProgress) await FinalCheckpointAsync();
            return _durablePositions;
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            throw new IncompleteStopException($"The final checkpoint was not written: the shutdown timeout ran out while dead letters were still being written. " +
                                              $"The next start resumes from {_lastCheckpointId} and reads the {_schedule.UncheckpointedEvents:N0} events since again.");
        }
        finally
        {
            _schedule.Close();
        }
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
            await DeadLetterAsync(malformed.Message, malformed.Reason, cancellationToken);

        int count = batch.Features.Count;
        long trained = 0, skipped = 0;
        if (count > 0)
        {
            long started = _time.GetTimestamp();
            bool applied = _trainer.TrainAndScore(batch.Features, _scores);
            _status.StepDurations.Record(_time.GetElapsedTime(started));
            if (applied)
            {
                _streak.Applied();
                var labels = batch.Features.Labels;
                for (int i = 0; i < count; i++) _progressive.Add(_scores[i], labels[i] > 0.5f);
                trained = count;
                _deltas?.Trained();
                // A partition's messages arrive in order, so its last event in the batch is its newest.
                foreach (var message in batch.Events) _lastTrainedEventUtc[new StreamPartition(message.Topic, message.Partition)] = message.Timestamp;
            }
            else
            {
                skipped = 1;
                _logger.LogWarning("Skipped a batch of {Count} events: its loss or gradients were not finite; dead-lettering it", count);
                var reason = DeadLetterReason.NonFiniteBatch($"the batch's loss or gradients were not finite at step {_trainer.Steps}; the step was skipped");
                foreach (var message in batch.Events) await DeadLetterAsync(message, reason, cancellationToken);
            }
            _rateWindowSamples += count;
        }

        foreach (var (partition, next) in batch.NextOffsets)
        {
            // A partition's start resolved to a concrete offset arrives without an event: a checkpoint must still record it.
            if (batch.Consumed == 0 && (!_positions.TryGetValue(partition, out var known) || known != next)) _schedule.PositionsMoved();
            _positions[partition] = next;
        }
        _counters = _counters with
        {
            Consumed = _counters.Consumed + batch.Consumed,
            Trained = _counters.Trained + trained,
            Batches = _counters.Batches + (count > 0 ? 1 : 0),
            SkippedBatches = _counters.SkippedBatches + skipped,
            ValuesDropped = _counters.ValuesDropped + batch.Features.DroppedValues,
        };
        _schedule.Consumed(batch.Consumed);
        if (skipped > 0)
        {
            switch (_streak.Skipped())
            {
                case StreakVerdict.RollBack:
                    await RollBackAsync();
                    break;
                case StreakVerdict.Pause:
                    _nonFinitePause = $"{_options.RollbackAfterSkippedBatches} batches in a row had non-finite loss or gradients right after the rollback to checkpoint " +
                                      $"{_streak.LastGood}: consumption is paused (each batch was skipped and dead-lettered). Find the cause (the input, or a gradient to clip with Training:ClipGradientNorm) and restart";
                    UpdateHold();
                    break;
            }
        }
        PublishStatus();
    }

    /// <summary>
    /// Puts the last good checkpoint's weights and optimizer state back. Reading goes on from the current positions:
    /// the events trained since that checkpoint leave the model's history (counted as rolled back), rather than being
    /// trained again into the same weights.
    /// </summary>
    private async Task RollBackAsync()
    {
        var target = _streak.LastGood;
        try
        {
            var manifest = await _checkpoints.Manager.RestoreIntoAsync(target, _trainer, CancellationToken.None);
            long kept = manifest.Stage.Kind == TrainingStage.Streaming ? StreamingCounters.From(manifest).Trained : 0;
            long undone = _counters.Trained - kept;
            _counters = _counters with { Trained = kept, RolledBack = _counters.RolledBack + undone };
            _logger.LogWarning("{Batches} batches in a row had non-finite loss or gradients: the model is rolled back to checkpoint {Id}; the {Undone} events trained " +
                               "since are no longer in it, and reading goes on from here", _options.RollbackAfterSkippedBatches, target, undone);
        }
        catch (CheckpointException e)
        {
            _damaged = $"the rollback to checkpoint {target} failed part-way, so the model may be damaged and no checkpoint is written from it: {e.Message}";
            _nonFinitePause = $"{_options.RollbackAfterSkippedBatches} batches in a row had non-finite loss or gradients and {_damaged}. Restart to resume from the last checkpoint";
            UpdateHold();
        }
    }

    /// <summary>Holds consumption while checkpoints keep failing or non-finite batches paused training; releases it once neither is the case.</summary>
    private void UpdateHold()
    {
        var reason = _nonFinitePause ?? (_schedule.IsFailing
            ? $"{_schedule.FailuresInARow} checkpoints failed in a row (last: {_lastCheckpointError}); consumption resumes once one succeeds"
            : null);
        if (reason == _holdReason) return;
        if (reason is null)
        {
            _gate?.Release();
            _logger.LogInformation("Consumption resumes: a checkpoint succeeded again");
        }
        else
        {
            _gate?.Hold();
            if (_holdReason is null) _logger.LogError("Consumption paused: {Reason}", reason);
        }
        _holdReason = reason;
        PublishStatus();
    }

    private async Task DeadLetterAsync(ConsumedMessage message, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        var kept = message.Truncated(_options.DeadLetterMaxPayloadBytes);
        var letter = new DeadLetter(kept.Payload, kept.Key, kept.Topic, kept.Partition, kept.Offset, reason, _time.GetUtcNow())
        {
            Original = kept.Original ?? PayloadDigest.Of(kept.Payload),
        };
        // Until the letter is stored the position does not move past the event. The daemon's sink falls back to its
        // quarantine file rather than fail; another sink's failure stops the trainer (a restart replays the event).
        await _deadLetters.WriteAsync(letter, cancellationToken);
        _deadLettered[reason.Kind] = _deadLettered.GetValueOrDefault(reason.Kind) + 1;
        _counters = _counters with { DeadLettered = new Dictionary<string, long>(_deadLettered) };
    }

    private async Task FinalCheckpointAsync()
    {
        try
        {
            await CheckpointAsync(committer: null, force: true, rethrow: true);
        }
        catch (CheckpointException e)
        {
            throw new IncompleteStopException($"The final checkpoint was not written: {e.Message} " +
                                              $"The next start resumes from {_lastCheckpointId} and reads the {_schedule.UncheckpointedEvents:N0} events since again.", e);
        }
    }

    /// <summary>Every request waiting gets the same checkpoint, written now: it covers everything trained before each of them.</summary>
    private async Task ServeCheckpointRequestsAsync(IPositionCommitter committer)
    {
        var requests = _schedule.TakeRequests();
        if (requests.Count == 0) return;
        try
        {
            var info = (await CheckpointAsync(committer, force: true, rethrow: true))!.Info;
            foreach (var request in requests) request.TrySetResult(info);
        }
        catch (CheckpointException e)
        {
            foreach (var request in requests) request.TrySetException(e);
        }
    }

    /// <summary>
    /// Writes a checkpoint; a failure is logged and counted, and training goes on with the previous one intact (the
    /// next attempt comes at the next scheduled point, see <see cref="CheckpointScheduler.IsDue"/>).
    /// </summary>
    private async Task<CheckpointWritten?> CheckpointAsync(IPositionCommitter? committer, bool force = false, bool rethrow = false)
    {
        if (!force && !_schedule.HasUncheckpointedProgress) return null;
        if (_damaged is not null)
        {
            if (rethrow) throw new CheckpointException($"No checkpoint was written: {_damaged}");
            return null;
        }
        _schedule.Attempted();
        var positions = Positions;
        var snapshot = new TrainingSnapshot(_trainer, new CheckpointStage(TrainingStage.Streaming), _seed)
        {
            Positions = new DataPositions([], positions) { KafkaSource = Source },
            Counters = _counters.ToNamed(),
            Metrics = Metrics(),
        };
        CheckpointWritten written;
        try
        {
            written = await _checkpoints.WriteAsync(snapshot, pin: false, beforeSave: SyncDeadLettersAsync);
        }
        catch (CheckpointException e)
        {
            _logger.LogError("Checkpoint failed, training goes on and the previous checkpoints are intact: {Reason}", e.Message);
            _schedule.Failed();
            _lastCheckpointError = e.Message;
            UpdateHold();
            if (rethrow) throw;
            return null;
        }

        _schedule.Succeeded();
        _durablePositions = positions;
        _status.Streaming.Update(s => s with { UncheckpointedSinceUtc = null });
        _lastCheckpointId = written.Info.Id;
        _streak.Checkpointed(written.Info.Id);
        UpdateHold();
        _logger.LogInformation("Checkpoint {Id}: step {Step}, {Bytes:F1} MB in {Seconds:F2} s", written.Info.Id, _trainer.Steps,
            written.Info.Bytes / 1e6, written.Info.Duration.TotalSeconds);
        committer?.Commit(positions);
        return written;
    }

    /// <summary>
    /// A delta of what changed since the last checkpoint or delta. A chain starts at a checkpoint of this trainer, so
    /// after a restore the first one due is a full checkpoint. Positions are committed to Kafka with checkpoints only:
    /// a restart resumes from a checkpoint, never from a delta.
    /// </summary>
    private async Task DeltaAsync(IPositionCommitter committer)
    {
        if (!_deltas!.HasBase)
        {
            await CheckpointAsync(committer, force: true);
            return;
        }
        await _deltas.WriteAsync(_trainer, new DataPositions([], Positions) { KafkaSource = Source }, _counters.ToNamed(), Metrics());
    }

    /// <summary>The dead letters a checkpoint covers reach the disk before it does: a power cut cannot keep the positions and lose the letters.</summary>
    private async ValueTask SyncDeadLettersAsync()
    {
        try
        {
            await _deadLetters.SyncAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"No checkpoint was written: the dead letters it covers could not be flushed to disk: {e.Message}", e);
        }
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

    /// <param name="refreshWindow">Compute the progressive window even between its every-16-batches refreshes.</param>
    private void PublishStatus(bool refreshWindow = false)
    {
        var elapsed = _time.GetElapsedTime(_rateWindowStart);
        if (elapsed >= RateWindow)
        {
            _samplesPerSecond = _rateWindowSamples / elapsed.TotalSeconds;
            _rateWindowStart = _time.GetTimestamp();
            _rateWindowSamples = 0;
        }
        var model = _trainer.Model;
        var counters = _counters;
        var window = _progressive.TotalCount > 0 && (refreshWindow || counters.Batches % 16 == 0) ? _progressive.Window() : null;
        if (window is not null) _windowBatches = counters.Batches;
        // Read with the window, so the device is synchronised for it no more often than the window is computed.
        double? gradientNorm = window is null ? null : _trainer.ReadMeanGradientNorm();
        var lastTrained = new Dictionary<StreamPartition, DateTimeOffset>(_lastTrainedEventUtc);
        _status.Streaming.Update(s => s with
        {
            EventsConsumed = counters.Consumed,
            EventsTrained = counters.Trained,
            Batches = counters.Batches,
            SkippedBatches = counters.SkippedBatches,
            EventsRolledBack = counters.RolledBack,
            ValuesDropped = counters.ValuesDropped,
            PausedReason = _holdReason,
            DeadLettered = counters.DeadLettered,
            ProgressiveWindow = window ?? s.ProgressiveWindow,
            ProgressiveCumulativeLogLoss = _progressive.CumulativeLogLoss,
            ProgressiveCumulativeNe = _progressive.CumulativeNormalizedEntropy,
            LastTrainedEventUtc = lastTrained,
            UncheckpointedSinceUtc = _schedule.UncheckpointedSince,
        });
        _status.Model.Update(s => s with
        {
            Steps = _trainer.Steps,
            Samples = _trainer.Samples,
            SamplesPerSecond = _samplesPerSecond,
            BottomWidths = model.Bottom.Widths,
            TopWidths = model.Top.Widths,
            Parameters = model.ParameterCount,
            GradientNorm = gradientNorm is { } norm && double.IsFinite(norm) ? norm : s.GradientNorm,
        });
    }
}

/// <summary>A stop that could not checkpoint everything it consumed; the message says why and where the next start resumes.</summary>
public sealed class IncompleteStopException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The parts of the status the streaming trainer writes, and the heartbeat it beats.</summary>
public sealed record StreamingStatus(StatusCell<StreamingState> Streaming, StatusCell<ModelState> Model, TrainStepDurations StepDurations, Heartbeat Heartbeat);
