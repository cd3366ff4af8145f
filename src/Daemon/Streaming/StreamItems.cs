using Confluent.Kafka;
using Recurring.Core.Data;

namespace Recurring.Daemon.Streaming;

/// <summary>What the Kafka reader hands the trainer, in order.</summary>
public abstract class StreamItem;

/// <summary>A consumed message the trainer may still have to dead-letter.</summary>
public sealed record ConsumedMessage(TopicPartitionOffset Origin, byte[] Payload, byte[]? Key);

/// <summary>A consumed message the parser rejected.</summary>
public sealed record MalformedMessage(ConsumedMessage Message, CriteoErrorKind Kind, string Reason);

/// <summary>
/// Consecutive messages turned into one training batch. <see cref="Events"/> lines up with the batch's rows;
/// malformed messages consumed in the same stretch travel along so their dead letters are written before the
/// positions move past them. <see cref="NextOffsets"/> are the positions after every message of the stretch.
/// </summary>
public sealed class StreamBatch(int capacity) : StreamItem
{
    public FeatureBatch Features { get; } = new(capacity);
    public List<ConsumedMessage> Events { get; } = new(capacity);
    public List<MalformedMessage> Malformed { get; } = [];
    public Dictionary<TopicPartition, long> NextOffsets { get; } = [];

    public int Consumed => Events.Count + Malformed.Count;
}

/// <summary>
/// Partitions are leaving this consumer (a rebalance). The trainer trains everything queued before this item,
/// checkpoints, and completes <see cref="Done"/> with the positions to commit: nothing read from them is lost. The
/// positions stay in the model's history (and its checkpoints), so when the partitions come back, as they do after a
/// session that lapsed during a broker outage, reading resumes right after the last event trained: nothing twice.
/// </summary>
public sealed class PartitionsLeaving(IReadOnlyList<TopicPartition> partitions) : StreamItem
{
    public IReadOnlyList<TopicPartition> Partitions { get; } = partitions;
    public TaskCompletionSource<IReadOnlyList<TopicPartitionOffset>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
