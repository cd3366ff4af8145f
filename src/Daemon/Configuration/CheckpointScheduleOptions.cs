using Recurring.Checkpointing;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Checkpoints", the daemon's half: how often to checkpoint (storage and retention are <see cref="CheckpointOptions"/>).</summary>
public sealed class CheckpointScheduleOptions
{
    /// <summary>Checkpoint after this many trained events...</summary>
    public long EveryEvents { get; set; } = 1_000_000;

    /// <summary>...or this many seconds since the last one, whichever comes first (streaming).</summary>
    public int EverySeconds { get; set; } = 300;

    public IEnumerable<string> Validate()
    {
        if (EveryEvents < 1) yield return $"{CheckpointOptions.Section}:EveryEvents must be at least 1, not {EveryEvents}.";
        if (EverySeconds < 1) yield return $"{CheckpointOptions.Section}:EverySeconds must be at least 1, not {EverySeconds}.";
    }
}
