namespace Recurring.Daemon.Streaming;

/// <summary>Section "Streaming": how click events become batches and how progressive quality is measured.</summary>
public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>A batch is trained once it holds this many good events...</summary>
    public int MaxBatchSize { get; set; } = 2048;

    /// <summary>...or once this long has passed since its first event, whichever comes first.</summary>
    public int MaxBatchWaitMilliseconds { get; set; } = 250;

    /// <summary>Progressive (predict-then-train) AUC, logloss and NE are computed over this many latest events.</summary>
    public int MetricsWindowEvents { get; set; } = 100_000;

    /// <summary>Dead letters go here (JSON lines) when Kafka:DeadLetterTopic is empty; relative to the working directory.</summary>
    public string DeadLetterFile { get; set; } = "dead-letters.jsonl";

    public IEnumerable<string> Validate()
    {
        if (MaxBatchSize < 1) yield return $"{Section}:MaxBatchSize must be at least 1, not {MaxBatchSize}.";
        if (MaxBatchWaitMilliseconds < 1) yield return $"{Section}:MaxBatchWaitMilliseconds must be at least 1, not {MaxBatchWaitMilliseconds}.";
        if (MetricsWindowEvents < 1) yield return $"{Section}:MetricsWindowEvents must be at least 1, not {MetricsWindowEvents}.";
        if (string.IsNullOrWhiteSpace(DeadLetterFile)) yield return $"{Section}:DeadLetterFile must name a file.";
    }
}
