using Recurring.Core.Metrics;

namespace Recurring.Daemon.Hosting;

public enum DaemonPhase
{
    Starting,
    Offline,
    Streaming,
    Stopping,
    Failed,
}

/// <summary>A partition's reading position and how far behind the newest message it is.</summary>
public sealed record PartitionLag(string Topic, int Partition, long Position, long HighWatermark)
{
    public long Lag => Math.Max(0, HighWatermark - Position);
}

/// <summary>What the daemon is doing, as /status, /metrics and the readiness check show it. Immutable.</summary>
public sealed record DaemonSnapshot
{
    public DaemonPhase Phase { get; init; } = DaemonPhase.Starting;
    public string? FailureReason { get; init; }
    public bool Paused { get; init; }
    public bool ModelLoaded { get; init; }
    public bool TrainerRunning { get; init; }
    public string Device { get; init; } = "";
    public string? LibTorch { get; init; }
    public Recurring.Daemon.Configuration.GpuInfo? Gpu { get; init; }
    public IReadOnlyList<int> BottomWidths { get; init; } = [];
    public IReadOnlyList<int> TopWidths { get; init; } = [];
    public long Parameters { get; init; }

    public long Steps { get; init; }
    public long Samples { get; init; }
    public double SamplesPerSecond { get; init; }

    public long OfflinePlannedSamples { get; init; }
    public double? OfflineEvalAuc { get; init; }
    public double? OfflineBayesAuc { get; init; }
    public double MlpFlopsRatioToDense { get; init; } = 1;
    public string? AmgpMode { get; init; }
    public int? AmgpPhase { get; init; }

    public long EventsConsumed { get; init; }

    /// <summary>Events the brokers deleted (retention) before this daemon read them: never trained.</summary>
    public long OffsetsDeleted { get; init; }
    public long EventsTrained { get; init; }
    public long Batches { get; init; }
    public long SkippedBatches { get; init; }
    public IReadOnlyDictionary<string, long> DeadLettered { get; init; } = new Dictionary<string, long>();
    public ClickMetrics? ProgressiveWindow { get; init; }
    public double ProgressiveCumulativeLogLoss { get; init; } = double.NaN;
    public double ProgressiveCumulativeNe { get; init; } = double.NaN;

    public bool KafkaReachable { get; init; }
    public string? KafkaError { get; init; }
    public IReadOnlyList<PartitionLag> Partitions { get; init; } = [];

    public long CheckpointsWritten { get; init; }
    public long CheckpointFailures { get; init; }
    public long CorruptCheckpointsSkipped { get; init; }
    public string? LastCheckpointId { get; init; }
    public DateTimeOffset? LastCheckpointUtc { get; init; }
    public double LastCheckpointSeconds { get; init; }
    public long LastCheckpointBytes { get; init; }
    public string? LastCheckpointError { get; init; }
}

/// <summary>
/// The one place the daemon's state lives. The trainer and the consumer publish changes; the admin endpoints and
/// the metrics exporter read consistent snapshots. Cheap enough to update on every batch.
/// </summary>
public sealed class DaemonStatus(TimeProvider time)
{
    private readonly object _gate = new();
    private DaemonSnapshot _current = new();

    public DaemonStatus() : this(TimeProvider.System)
    {
    }

    public TimeProvider Time { get; } = time;

    public DaemonSnapshot Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    public void Update(Func<DaemonSnapshot, DaemonSnapshot> change)
    {
        lock (_gate) _current = change(_current);
    }

    public void RecordCheckpoint(Recurring.Checkpointing.CheckpointInfo info, long corruptSkipped)
    {
        var now = Time.GetUtcNow();
        Update(s => s with
        {
            CheckpointsWritten = s.CheckpointsWritten + 1,
            LastCheckpointId = info.Id,
            LastCheckpointUtc = now,
            LastCheckpointSeconds = info.Duration.TotalSeconds,
            LastCheckpointBytes = info.Bytes,
            LastCheckpointError = null,
            CorruptCheckpointsSkipped = corruptSkipped,
        });
    }

    /// <summary>Seconds since the last checkpoint, or null before the first.</summary>
    public double? CheckpointAgeSeconds(DaemonSnapshot snapshot) =>
        snapshot.LastCheckpointUtc is { } at ? (Time.GetUtcNow() - at).TotalSeconds : null;
}
