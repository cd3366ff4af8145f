using System.Security.Cryptography;
using Recurring.Core;
using Recurring.Core.Data;

namespace Recurring.Daemon.Kafka;

/// <summary>Why an event was set aside: a kebab-case <see cref="Kind"/> to count and filter by, and one line for people.</summary>
public sealed record DeadLetterReason(string Kind, string Message)
{
    /// <summary>The kind of every event in a batch whose loss or gradients came out NaN or infinite.</summary>
    public const string NonFiniteBatchKind = "non-finite-batch";

    /// <summary>An event the parser rejected; the kind is the <see cref="EventErrorKind"/> in kebab case, e.g. "wrong-field-count".</summary>
    public static DeadLetterReason Malformed(EventErrorKind kind, string reason) => new(KindOf(kind), reason);

    /// <summary>The dead-letter kind (and metric label) of an <see cref="EventErrorKind"/>: "malformed-json".</summary>
    public static string KindOf(EventErrorKind kind) => KebabCaseEnumConverter<EventErrorKind>.ToKebabCase(kind.ToString());

    /// <summary>The kind of a message longer than Streaming:MaxMessageBytes: never parsed, its first bytes kept.</summary>
    public static readonly string MessageTooLargeKind = KindOf(EventErrorKind.MessageTooLarge);

    /// <summary>An event of a batch that poisoned training with non-finite values; the batch was skipped.</summary>
    public static DeadLetterReason NonFiniteBatch(string message) => new(NonFiniteBatchKind, message);

    public static DeadLetterReason MessageTooLarge(long bytes, int limit) =>
        new(MessageTooLargeKind, $"the message is {bytes:N0} bytes, more than Streaming:MaxMessageBytes ({limit:N0})");
}

/// <summary>The size and SHA-256 of a payload as consumed, kept with it when only its first bytes travel on.</summary>
public sealed record PayloadDigest(long Bytes, string Sha256)
{
    public static PayloadDigest Of(ReadOnlySpan<byte> payload) => new(payload.Length, Convert.ToHexStringLower(SHA256.HashData(payload)));
}

/// <summary>
/// An event the trainer could not use, kept with where it came from so it can be inspected or replayed. Its source
/// topic, partition and offset identify it: a letter written again after a restart (the events since the last
/// checkpoint are read again) has the same three, so readers deduplicate by them.
/// </summary>
/// <param name="Payload">The message value as consumed, or its first Streaming:DeadLetterMaxPayloadBytes when it was
/// longer (see <see cref="Original"/>).</param>
/// <param name="Key">The message key as consumed, if any.</param>
/// <param name="Timestamp">When the event was set aside.</param>
public sealed record DeadLetter(
    byte[] Payload,
    byte[]? Key,
    string SourceTopic,
    int SourcePartition,
    long SourceOffset,
    DeadLetterReason Reason,
    DateTimeOffset Timestamp)
{
    /// <summary>Size and SHA-256 of the whole payload as consumed.</summary>
    public PayloadDigest Original { get; init; } = PayloadDigest.Of(Payload);

    /// <summary><see cref="Payload"/> holds only the first bytes of the original.</summary>
    public bool IsTruncated => Payload.Length < Original.Bytes;
}
