using Confluent.Kafka;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>Where reading starts, and that only the checkpoint decides it.</summary>
[Collection(DaemonCollection.Name)]
public sealed class StartPositionTests(KafkaClusterFixture kafka)
{
    /// <summary>
    /// With Kafka:StartFrom=latest a partition no event came from yet has its start resolved to a concrete offset and
    /// checkpointed, so a restart goes on from there: events produced while the daemon was down are trained, not skipped
    /// by looking up "latest" again. The consumer group's committed offsets play no part (docs/operations.md): rewound to
    /// 0 while the daemon is stopped, they change nothing.
    /// </summary>
    [Fact]
    public async Task WithStartFromLatestEventsProducedWhileStoppedAreTrainedEvenWhenNoneCameBefore()
    {
        using var setup = new DaemonSetup(kafka, partitions: 1).With("Kafka:StartFrom", "latest");
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await topic.ProduceEventsAsync(10); // before the first start: "latest" skips them
        await using (var first = await RunningDaemon.StartStreamingAsync(setup))
        {
            await first.WaitUntilAsync(s => s.Reader.Partitions.Count == 1, "the partition is assigned");
            await first.StopAsync();
        }
        var stopped = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(10, Checkpoints.Positions(stopped, setup.Topic)[0]);
        Assert.Equal(0, StreamingCounters.From(stopped).Consumed);

        RewindCommittedOffset(setup);
        await topic.ProduceEventsAsync(20);
        await using var second = await RunningDaemon.StartStreamingAsync(setup);
        await second.WaitUntilTrainedAsync(20);
        await second.StopAsync();

        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(20, StreamingCounters.From(last).Trained);
        Assert.Equal(30, Checkpoints.Positions(last, setup.Topic)[0]);
    }

    /// <summary>
    /// What `kafka-consumer-groups --reset-offsets --to-earliest` does while the daemon is stopped (the mock brokers take
    /// commits from group members only, so this one joins first).
    /// </summary>
    private void RewindCommittedOffset(DaemonSetup setup)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = kafka.Cluster.BootstrapServers,
                GroupId = setup.GroupId,
                EnableAutoCommit = false,
                SessionTimeoutMs = 3000,
                HeartbeatIntervalMs = 500,
            })
            .SetLogHandler((_, _) => { })
            .Build();
        var partition = new TopicPartition(setup.Topic, 0);
        consumer.Subscribe(setup.Topic);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumer.Assignment.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the rewinding consumer joined no group");
            consumer.Consume(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(10, consumer.Committed([partition], TimeSpan.FromSeconds(10)).Single().Offset.Value);
        consumer.Commit([new TopicPartitionOffset(partition, 0)]);
        Assert.Equal(0, consumer.Committed([partition], TimeSpan.FromSeconds(10)).Single().Offset.Value);
        consumer.Close();
    }
}
