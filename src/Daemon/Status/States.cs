using Recurring.Checkpointing;
using Recurring.Core.Metrics;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Status;

public enum DaemonActivity
{
    Starting,
    Offline,
    Streaming,
    Stopping,
    Failed,
}

/// <summary>What the daemon is doing and on what; written by the training service.</summary>
public sealed record ActivityState
{
    public DaemonActivity Activity { get; init; } = DaemonActivity.Starting;
    public string? FailureReason { get; init; }
    public bool ModelLoaded { get; init; }
    public bool TrainerRunning { get; init; }
    public string Device { get; init; } = "";
    public string? LibTorch { get; init; }
    public GpuInfo? Gpu { get; init; }
}

/// <summary>The model being trained and the trainer's counters; written by whichever phase trains it now.</summary>
public sealed record ModelState
{
    public IReadOnlyList<int> BottomWidths { get; init; } = [];
    public IReadOnlyList<int> TopWidths { get; init; } = [];
    public long Parameters { get; init; }
    public long Steps { get; init; }
    public long Samples { get; init; }
    public double SamplesPerSecond { get; init; }

    /// <summary>Mean L2 norm of the gradients of the recent steps; null until first read.</summary>
    public double? GradientNorm { get; init; }
}

/// <summary>The offline phase's progress; written by the offline runner.</summary>
public sealed record OfflineState
{
    public long PlannedSamples { get; init; }
    public double? EvalAuc { get; init; }
    public double? BayesAuc { get; init; }
    public double MlpFlopsRatioToDense { get; init; } = 1;
    public string? AmgpMode { get; init; }
    public int? AmgpPhase { get; init; }
}

/// <summary>Recurring training's counters and progressive quality; written by the streaming trainer.</summary>
public sealed record StreamingState
{
    public long EventsConsumed { get; init; }
    public long EventsTrained { get; init; }
    public long Batches { get; init; }
    public long SkippedBatches { get; init; }
    public long EventsRolledBack { get; init; }

    /// <summary>Values beyond a multi-valued feature's MaxValues, dropped (the events themselves were trained on).</summary>
    public long ValuesDropped { get; init; }
    public IReadOnlyDictionary<string, long> DeadLettered { get; init; } = new Dictionary<string, long>();

    /// <summary>Why the trainer paused consumption (checkpoints failing, or non-finite batches after a rollback); null while it consumes.</summary>
    public string? PausedReason { get; init; }
    public ClickMetrics? ProgressiveWindow { get; init; }
    public double ProgressiveCumulativeLogLoss { get; init; } = double.NaN;
    public double ProgressiveCumulativeNe { get; init; } = double.NaN;

    /// <summary>The Kafka timestamp (producer or broker time) of the last event trained from each partition.</summary>
    public IReadOnlyDictionary<StreamPartition, DateTimeOffset> LastTrainedEventUtc { get; init; } = new Dictionary<StreamPartition, DateTimeOffset>();

    /// <summary>When the oldest training that no durable checkpoint covers happened; null when every event is checkpointed.</summary>
    public DateTimeOffset? UncheckpointedSinceUtc { get; init; }
}

/// <summary>A partition's reading position and how far behind the newest message it is.</summary>
public sealed record PartitionLag(string Topic, int Partition, long Position, long HighWatermark)
{
    public long Lag => Math.Max(0, HighWatermark - Position);
}

/// <summary>
/// The brokers as the daemon sees them: written by the Kafka endpoint's checks (at start, and before streaming) until
/// the reader starts, then by the reader.
/// </summary>
public sealed record ReaderState
{
    public bool Reachable { get; init; }
    public string? Error { get; init; }
    public bool Paused { get; init; }
    public IReadOnlyList<PartitionLag> Partitions { get; init; } = [];

    /// <summary>Events the brokers deleted (retention) before this daemon read them: never trained.</summary>
    public long OffsetsDeleted { get; init; }

    /// <summary>Offsets read a second time because a partition's position lay past its log end (topic recreated or truncated).</summary>
    public long OffsetsRewound { get; init; }
}

/// <summary>Where dead letters go and whether that works; written by the dead-letter sink.</summary>
public sealed record DeadLetterState
{
    /// <summary>The configured sink, e.g. "topic clicks-dead-letters" or "file /var/lib/recurring/dead-letters.jsonl".</summary>
    public string Sink { get; init; } = "";

    /// <summary>Why the configured sink is not used right now (its start-up check or its last write failed); null while it works.</summary>
    public string? SinkProblem { get; init; }

    public string QuarantineFile { get; init; } = "";

    /// <summary>Letters written to the quarantine file because the sink failed, by reason kind, since the process started.</summary>
    public IReadOnlyDictionary<string, long> Quarantined { get; init; } = new Dictionary<string, long>();

    /// <summary>Letters neither the sink nor the quarantine file could store (their source positions were logged).</summary>
    public long Lost { get; init; }
}

/// <summary>Checkpoint writes; written by the checkpoint writer.</summary>
public sealed record CheckpointState
{
    public long Written { get; init; }
    public long Failures { get; init; }
    public long CorruptSkipped { get; init; }
    public string? LastId { get; init; }
    public DateTimeOffset? LastUtc { get; init; }
    public double LastSeconds { get; init; }
    public long LastBytes { get; init; }
    public string? LastError { get; init; }
}
