namespace Recurring.Checkpointing;

/// <summary>Section "Checkpoints": where checkpoints go, how many are kept, and how storage failures are retried.</summary>
public sealed class CheckpointOptions
{
    public const string Section = "Checkpoints";

    public string Directory { get; set; } = "checkpoints";

    /// <summary>The newest checkpoints always kept.</summary>
    public int KeepLast { get; set; } = 5;

    /// <summary>Also keep the newest checkpoint of each of this many UTC days, counted back from the newest checkpoint's day.</summary>
    public int KeepDailyDays { get; set; } = 7;

    /// <summary>Retries of a storage operation that failed transiently; 0 turns retrying off.</summary>
    public int RetryAttempts { get; set; } = 4;

    /// <summary>Median delay before the first retry; later ones grow exponentially, with jitter.</summary>
    public int RetryBaseDelayMilliseconds { get; set; } = 200;

    public int RetryMaxDelayMilliseconds { get; set; } = 5_000;

    /// <summary>One line per problem; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Directory)) errors.Add($"{Section}:Directory must name a folder.");
        if (KeepLast < 1) errors.Add($"{Section}:KeepLast must be at least 1 (the newest checkpoint is what a restart resumes from), not {KeepLast}.");
        if (KeepDailyDays < 0) errors.Add($"{Section}:KeepDailyDays must be 0 or more, not {KeepDailyDays}.");
        if (RetryAttempts < 0) errors.Add($"{Section}:RetryAttempts must be 0 or more, not {RetryAttempts}.");
        if (RetryBaseDelayMilliseconds < 0) errors.Add($"{Section}:RetryBaseDelayMilliseconds must be 0 or more, not {RetryBaseDelayMilliseconds}.");
        if (RetryMaxDelayMilliseconds < RetryBaseDelayMilliseconds)
            errors.Add($"{Section}:RetryMaxDelayMilliseconds must be at least RetryBaseDelayMilliseconds ({RetryBaseDelayMilliseconds}), not {RetryMaxDelayMilliseconds}.");
        return errors;
    }

    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
    }
}
