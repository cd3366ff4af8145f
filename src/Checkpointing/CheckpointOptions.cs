namespace Recurring.Checkpointing;

/// <summary>Section "Checkpoints": where checkpoints go, how often, how many are kept, and how storage failures are retried.</summary>
public sealed class CheckpointOptions
{
    public const string Section = "Checkpoints";

    public string Directory { get; set; } = "checkpoints";

    /// <summary>Checkpoint after this many trained events...</summary>
    public long EveryEvents { get; set; } = 1_000_000;

    /// <summary>...or this many seconds since the last one, whichever comes first (streaming).</summary>
    public int EverySeconds { get; set; } = 300;

    /// <summary>
    /// Streaming writes small deltas between full checkpoints: the embedding rows updated since the previous
    /// checkpoint or delta, every MLP tensor, and the positions they cover (docs/serving.md, "Deltas").
    /// </summary>
    public bool Deltas { get; set; }

    /// <summary>A delta after this many seconds since the last checkpoint or delta, when there is anything new.</summary>
    public int DeltaEverySeconds { get; set; } = 60;

    /// <summary>
    /// After this many checkpoint failures in a row, streaming pauses consumption (readiness turns red) and retries
    /// the checkpoint until it succeeds, rather than train on for longer than the topic keeps its events with nothing
    /// durable; 0 never pauses.
    /// </summary>
    public int PauseAfterFailures { get; set; } = 10;

    /// <summary>The newest checkpoints always kept.</summary>
    public int KeepLast { get; set; } = 5;

    /// <summary>Also keep the newest checkpoint of each of this many UTC days, counted back from the newest checkpoint's day.</summary>
    public int KeepDailyDays { get; set; } = 7;

    /// <summary>
    /// Start afresh (the offline phase) when checkpoint folders exist but none of them verifies; by default such a
    /// start is refused, since it would silently replace a trained model that may only need its files put back.
    /// </summary>
    public bool AllowFreshStart { get; set; }

    /// <summary>Retries of a storage operation that failed transiently; 0 turns retrying off.</summary>
    public int RetryAttempts { get; set; } = 4;

    /// <summary>Median delay before the first retry; later ones grow exponentially, with jitter.</summary>
    public int RetryBaseDelayMilliseconds { get; set; } = 200;

    public int RetryMaxDelayMilliseconds { get; set; } = 5_000;

    /// <summary>Where checkpoints are copied after being written here; off unless <see cref="RemoteCheckpointOptions.Kind"/> says otherwise.</summary>
    public RemoteCheckpointOptions Remote { get; set; } = new();

    /// <summary>One line per problem, each starting with the property at fault (the daemon adds the section); empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Directory)) errors.Add("Directory must name a folder.");
        if (EveryEvents < 1) errors.Add($"EveryEvents must be at least 1, not {EveryEvents}.");
        if (EverySeconds < 1) errors.Add($"EverySeconds must be at least 1, not {EverySeconds}.");
        if (PauseAfterFailures < 0) errors.Add($"PauseAfterFailures must be 0 (never pause) or more, not {PauseAfterFailures}.");
        if (KeepLast < 1) errors.Add($"KeepLast must be at least 1 (the newest checkpoint is what a restart resumes from), not {KeepLast}.");
        if (KeepDailyDays < 0) errors.Add($"KeepDailyDays must be 0 or more, not {KeepDailyDays}.");
        if (RetryAttempts < 0) errors.Add($"RetryAttempts must be 0 or more, not {RetryAttempts}.");
        if (RetryBaseDelayMilliseconds < 0) errors.Add($"RetryBaseDelayMilliseconds must be 0 or more, not {RetryBaseDelayMilliseconds}.");
        if (RetryMaxDelayMilliseconds < RetryBaseDelayMilliseconds)
            errors.Add($"RetryMaxDelayMilliseconds must be at least RetryBaseDelayMilliseconds ({RetryBaseDelayMilliseconds}), not {RetryMaxDelayMilliseconds}.");
        if (DeltaEverySeconds < 1) errors.Add($"DeltaEverySeconds must be at least 1, not {DeltaEverySeconds}.");
        else if (Deltas && DeltaEverySeconds >= EverySeconds)
            errors.Add($"DeltaEverySeconds ({DeltaEverySeconds}) must be shorter than EverySeconds ({EverySeconds}), or no delta would come between two checkpoints.");
        if (Deltas && Remote.Enabled)
            errors.Add("Deltas are written to the local checkpoint folder only and are not copied to Remote yet: turn Deltas off, or set Remote:Kind to none.");
        errors.AddRange(Remote.Validate());
        return errors;
    }

    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
    }
}
