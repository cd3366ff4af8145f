using Confluent.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>Reads a topic from the start of every partition, outside any consumer group.</summary>
internal static class TopicReader
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Exactly <paramref name="expected"/> messages, or an assertion failure once the deadline passes.</summary>
    public static IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> Read(string bootstrapServers, string topic, int expected)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = $"reader-{Guid.NewGuid():N}",
                EnableAutoCommit = false,
            })
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Assign(Partitions(bootstrapServers, topic).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));

        var messages = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + Deadline;
        while (messages.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } message) messages.Add(message);
        }
        // Anything beyond the expected count would be a duplicate; give it a moment to show.
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } extra) messages.Add(extra);
        Assert.Equal(expected, messages.Count);
        return messages;
    }

    public static IReadOnlyList<Partition> Partitions(string bootstrapServers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).SetLogHandler((_, _) => { }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        return metadata.Topics.Single().Partitions.Select(p => new Partition(p.PartitionId)).ToList();
    }

    /// <summary>The oldest offset the brokers still hold.</summary>
    public static long LowWatermark(string bootstrapServers, TopicPartition partition)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = $"watermarks-{Guid.NewGuid():N}" })
            .SetLogHandler((_, _) => { })
            .Build();
        return consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).Low.Value;
    }
}
