namespace Recurring.Daemon.Configuration;

/// <summary>Section "Kafka:Retry": exponential back-off with jitter for transient Kafka errors.</summary>
public sealed class KafkaRetryOptions
{
    /// <summary>Tries in all, the first included; 1 means no retry.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The median wait before the first retry; later waits grow exponentially.</summary>
    public int BaseDelayMilliseconds { get; set; } = 500;

    public int MaxDelayMilliseconds { get; set; } = 30_000;

    public IEnumerable<KeyValuePair<string, string>> Describe() =>
    [
        new(nameof(MaxAttempts), $"{MaxAttempts}"),
        new(nameof(BaseDelayMilliseconds), $"{BaseDelayMilliseconds}"),
        new(nameof(MaxDelayMilliseconds), $"{MaxDelayMilliseconds}"),
    ];

    /// <summary>Problems, each starting with the key relative to the section (the caller adds "Kafka:Retry:").</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxAttempts < 1) yield return $"{nameof(MaxAttempts)} must be at least 1 (1 = no retry), not {MaxAttempts}.";
        if (BaseDelayMilliseconds < 0) yield return $"{nameof(BaseDelayMilliseconds)} must be 0 or more, not {BaseDelayMilliseconds}.";
        if (MaxDelayMilliseconds < BaseDelayMilliseconds)
            yield return $"{nameof(MaxDelayMilliseconds)} must be at least {nameof(BaseDelayMilliseconds)} ({BaseDelayMilliseconds}), not {MaxDelayMilliseconds}.";
    }
}
