using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Streaming;

/// <summary>What the event source hands the trainer, in order.</summary>
public abstract class StreamItem;

/// <summary>A consumed message the trainer may still have to dead-letter.</summary>
/// <param name="Timestamp">The message's own timestamp (producer or broker time).</param>
public sealed record ConsumedMessage(string Topic, int Partition, long Offset, byte[] Payload, byte[]? Key, DateTimeOffset Timestamp)
{
    /// <summary>Set once <see cref="Payload"/> was cut to its first bytes (<see cref="Truncated"/>): the whole payload's size and hash.</summary>
    public PayloadDigest? Original { get; init; }

    /// <summary>This message with at most <paramref name="maxBytes"/> of its payload, the rest described by <see cref="Original"/>.</summary>
    public ConsumedMessage Truncated(int maxBytes) =>
        Payload.Length <= maxBytes ? this : this with { Payload = Payload[..maxBytes], Original = Original ?? PayloadDigest.Of(Payload) };
}

/// <summary>A consumed message that cannot be trained on: the parser rejected it, or it was too large to parse.</summary>
public sealed record MalformedMessage(ConsumedMessage Message, DeadLetterReason Reason);

/// <summary>
/// Consecutive messages turned into one training batch. <see cref="Events"/> lines up with the batch's rows;
/// malformed messages consumed in the same stretch travel along so their dead letters are written before the
/// positions move past them. <see cref="NextOffsets"/> are the positions after every message of the stretch.
/// </summary>
public sealed class StreamBatch(FeatureSchema schema, int capacity) : StreamItem
{
    public FeatureBatch Features { get; } = new(schema, capacity);
    public List<ConsumedMessage> Events { get; } = new(capacity);
    public List<MalformedMessage> Malformed { get; } = [];
    public Dictionary<StreamPartition, long> NextOffsets { get; } = [];

    public int Consumed => Events.Count + Malformed.Count;

    /// <summary>Payload bytes the batch holds, good and malformed messages alike.</summary>
    public long Bytes { get; set; }
}

/// <summary>
/// Partitions are leaving this consumer (a rebalance). The trainer trains everything queued before this item,
/// checkpoints, and completes <see cref="Done"/> with the positions to commit: nothing read from them is lost. The
/// positions stay in the model's history (and its checkpoints), so when the partitions come back, as they do after a
/// session that lapsed during a broker outage, reading resumes right after the last event trained: nothing twice.
/// </summary>
public sealed class PartitionsLeaving(IReadOnlyList<StreamPartition> partitions) : StreamItem
{
    public IReadOnlyList<StreamPartition> Partitions { get; } = partitions;
    public TaskCompletionSource<IReadOnlyList<StreamPosition>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Where a durable checkpoint's positions go: the event source commits them (to Kafka, for lag monitoring and tools).
/// The checkpoint stays the source of truth.
/// </summary>
public interface IPositionCommitter
{
    /// <summary>Asks for these positions to be committed; returns at once.</summary>
    void Commit(IReadOnlyList<StreamPosition> positions);
}

/// <summary>
/// Lets the trainer stop consumption while it cannot safely go on (checkpoints failing, batches not finite) and start
/// it again: the source keeps its partitions and keeps polling (so it stays in its group), but reads nothing new.
/// Independent of the operator's pause (POST /pause): either one pauses.
/// </summary>
public interface IConsumptionGate
{
    void Hold();

    void Release();
}
