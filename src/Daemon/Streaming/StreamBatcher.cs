using System.Diagnostics;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Turns consumed messages into training batches: parses each payload into an event of the model's schema (with the
/// parser of Kafka:Format), encodes it into the pending batch (<see cref="FeatureEncoder"/>), keeps what it could not
/// parse beside it, and says when the batch is due (full, holding too many bytes, or old enough). A message longer than Streaming:MaxMessageBytes is not
/// parsed; only its first bytes are kept, for its dead letter. Knows nothing of where the messages come from.
/// </summary>
/// <param name="parser">Reads the payloads into events of <paramref name="encoder"/>'s schema.</param>
public sealed class StreamBatcher(StreamingOptions options, FeatureEncoder encoder, IEventParser parser)
{
    private readonly IEventParser _parser = parser.Schema == encoder.Schema
        ? parser
        : throw new ArgumentException("The parser reads events of another schema than the encoder's.", nameof(parser));
    private readonly ClickEvent _event = new(encoder.Schema);
    private StreamBatch? _pending;
    private long _pendingSince;

    public bool HasPending => _pending is not null;

    /// <summary>
    /// The pending batch is full, holds many malformed messages or Streaming:MaxBatchBytes of payload, or has waited
    /// Streaming:MaxBatchWaitMilliseconds.
    /// </summary>
    public bool IsDue =>
        _pending is { } batch && (batch.Features.IsFull || batch.Consumed >= 4 * options.MaxBatchSize || batch.Bytes >= options.MaxBatchBytes ||
                                  Waited >= MaxWait);

    /// <summary>How long until the pending batch is due by time; the whole wait when nothing is pending.</summary>
    public TimeSpan TimeUntilDue => _pending is null ? MaxWait : MaxWait - Waited is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    private TimeSpan MaxWait => TimeSpan.FromMilliseconds(options.MaxBatchWaitMilliseconds);

    private TimeSpan Waited => Stopwatch.GetElapsedTime(_pendingSince);

    public void Add(ConsumedMessage message)
    {
        var batch = _pending ??= NewBatch();
        if (message.Payload.Length > options.MaxMessageBytes)
        {
            var kept = message.Truncated(options.DeadLetterMaxPayloadBytes);
            batch.Malformed.Add(new MalformedMessage(kept, DeadLetterReason.MessageTooLarge(message.Payload.Length, options.MaxMessageBytes)));
            message = kept;
        }
        else if (_parser.TryParse(message.Payload, _event, out var kind, out var reason))
        {
            batch.Features.Add(_event, encoder);
            batch.Events.Add(message);
        }
        else
        {
            batch.Malformed.Add(new MalformedMessage(message, DeadLetterReason.Malformed(kind, reason ?? "")));
        }
        batch.Bytes += message.Payload.Length;
        batch.NextOffsets[new StreamPartition(message.Topic, message.Partition)] = message.Offset + 1;
    }

    /// <summary>
    /// Where a partition starts when no message says so yet (its start resolved at assignment): the pending batch
    /// carries the position to the trainer, so its checkpoints hold it even if no event comes from the partition.
    /// </summary>
    public void Started(StreamPartition partition, long nextOffset) => (_pending ??= NewBatch()).NextOffsets[partition] = nextOffset;

    /// <summary>The pending batch, which a new one replaces at the next <see cref="Add"/>.</summary>
    public StreamBatch Take()
    {
        var batch = _pending ?? throw new InvalidOperationException("No batch is pending.");
        _pending = null;
        return batch;
    }

    private StreamBatch NewBatch()
    {
        _pendingSince = Stopwatch.GetTimestamp();
        return new StreamBatch(encoder.Schema, options.MaxBatchSize);
    }
}
