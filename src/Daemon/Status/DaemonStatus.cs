namespace Recurring.Daemon.Status;

/// <summary>Every part of the status, read at one moment: what /status, /metrics and readiness report.</summary>
public sealed record StatusSnapshot(
    DateTimeOffset TakenUtc,
    ActivityState Activity,
    ModelState Model,
    OfflineState Offline,
    StreamingState Streaming,
    ReaderState Reader,
    CheckpointState Checkpoints,
    DeadLetterState DeadLetters)
{
    /// <summary>Seconds since the last checkpoint, or null before the first.</summary>
    public double? CheckpointAgeSeconds => Checkpoints.LastUtc is { } at ? (TakenUtc - at).TotalSeconds : null;
}

/// <summary>
/// Assembles the daemon's status when asked. Each part is a <see cref="StatusCell{T}"/> that only its owner receives
/// (the training service, the offline runner and the streaming trainer, the Kafka reader, the checkpoint writer, the
/// dead-letter sink);
/// everyone else reads snapshots from here.
/// </summary>
public sealed class DaemonStatus(
    TimeProvider time,
    StatusCell<ActivityState> activity,
    StatusCell<ModelState> model,
    StatusCell<OfflineState> offline,
    StatusCell<StreamingState> streaming,
    StatusCell<ReaderState> reader,
    StatusCell<CheckpointState> checkpoints,
    StatusCell<DeadLetterState> deadLetters)
{
    public TimeProvider Time => time;

    public StatusSnapshot Snapshot() =>
        new(time.GetUtcNow(), activity.Current, model.Current, offline.Current, streaming.Current, reader.Current, checkpoints.Current, deadLetters.Current);
}
