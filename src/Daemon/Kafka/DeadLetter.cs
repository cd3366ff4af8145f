using Recurring.Core;
using Recurring.Core.Data;

namespace Recurring.Daemon.Kafka;

/// <summary>Why an event was set aside: a kebab-case <see cref="Kind"/> to count and filter by, and one line for people.</summary>
public sealed record DeadLetterReason(string Kind, string Message)
{
    /// <summary>The kind of every event in a batch whose loss or gradients came out NaN or infinite.</summary>
    public const string NonFiniteBatchKind = "non-finite-batch";

    /// <summary>A line the parser rejected; the kind is the <see cref="CriteoErrorKind"/> in kebab case, e.g. "wrong-field-count".</summary>
    public static DeadLetterReason Malformed(CriteoErrorKind kind, string reason) =>
        new(KebabCaseEnumConverter<CriteoErrorKind>.ToKebabCase(kind.ToString()), reason);

    /// <summary>An event of a batch that poisoned training with non-finite values; the batch was skipped.</summary>
    public static DeadLetterReason NonFiniteBatch(string message) => new(NonFiniteBatchKind, message);
}

/// <summary>
/// An event the trainer could not use, kept with where it came from so it can be inspected or replayed.
/// </summary>
/// <param name="Payload">The message value exactly as consumed.</param>
/// <param name="Key">The message key as consumed, if any.</param>
/// <param name="Timestamp">When the event was set aside.</param>
public sealed record DeadLetter(
    byte[] Payload,
    byte[]? Key,
    string SourceTopic,
    int SourcePartition,
    long SourceOffset,
    DeadLetterReason Reason,
    DateTimeOffset Timestamp);
