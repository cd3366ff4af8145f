namespace Recurring.Daemon.Configuration;

/// <summary>Section "Streaming": how click events become batches and how progressive quality is measured.</summary>
public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>A batch is trained once it holds this many good events...</summary>
    [AtLeast(1)]
    public int MaxBatchSize { get; set; } = 2048;

    /// <summary>...or once this long has passed since its first event, whichever comes first.</summary>
    [AtLeast(1)]
    public int MaxBatchWaitMilliseconds { get; set; } = 250;

    /// <summary>
    /// After this many batches in a row whose loss or gradients were not finite (each skipped and dead-lettered), the
    /// model is rolled back to the last checkpoint written before them, once; should as many follow, consumption
    /// pauses (readiness red, with the reason) until a restart. 0 only skips.
    /// </summary>
    [AtLeast(0)]
    public int RollbackAfterSkippedBatches { get; set; } = 10;

    /// <summary>Progressive (predict-then-train) AUC, logloss and NE are computed over this many latest events.</summary>
    [AtLeast(1)]
    public int MetricsWindowEvents { get; set; } = 100_000;

    /// <summary>...or once its messages hold this many payload bytes, so memory stays bounded whatever the messages' sizes.</summary>
    [AtLeast(1)]
    public int MaxBatchBytes { get; set; } = 16 << 20;

    /// <summary>
    /// A longer message is not parsed: it is dead-lettered as message-too-large with its first
    /// <see cref="DeadLetterMaxPayloadBytes"/>. A Criteo line takes well under 1 KiB.
    /// </summary>
    [AtLeast(1)]
    public int MaxMessageBytes { get; set; } = 64 << 10;

    /// <summary>Dead letters go here (JSON lines) when Kafka:DeadLetterTopic is empty; relative to the working directory.</summary>
    public string DeadLetterFile { get; set; } = "dead-letters.jsonl";

    /// <summary>
    /// Where dead letters go while the dead-letter topic or file fails (a missing ACL, a letter the topic refuses, a
    /// full or read-only disk), so that training goes on; empty means quarantine.jsonl beside <see cref="DeadLetterFile"/>.
    /// </summary>
    public string QuarantineFile { get; set; } = "";

    /// <summary><see cref="QuarantineFile"/>, or its default beside the dead-letter file.</summary>
    public string QuarantineFilePath =>
        QuarantineFile.Length > 0 ? QuarantineFile : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DeadLetterFile))!, "quarantine.jsonl");

    /// <summary>
    /// A dead letter carries at most this much of its payload (the rest is cut, its original size and SHA-256 kept), so
    /// a letter always fits the dead-letter topic, whose limit (max.message.bytes, 1 MB by default) may be lower
    /// than the source topic's.
    /// </summary>
    [AtLeast(1)]
    public int DeadLetterMaxPayloadBytes { get; set; } = 64 << 10;
}
