using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>One embedded cluster per test class; each test takes topics of its own, so tests never see each other's messages.</summary>
public sealed class KafkaClusterFixture : IDisposable
{
    public EmbeddedKafkaCluster Cluster { get; } = new();

    /// <summary>A fresh topic with <paramref name="partitions"/> partitions.</summary>
    public string NewTopic(int partitions = 4)
    {
        var topic = $"test-{Guid.NewGuid():N}";
        Cluster.CreateTopic(topic, partitions);
        return topic;
    }

    /// <summary>Options pointing at this cluster; librdkafka gives up on a message after 5 s instead of 30.</summary>
    public KafkaOptions Options() => new() { BootstrapServers = Cluster.BootstrapServers, DeliveryTimeoutMilliseconds = 5_000 };

    public void Dispose() => Cluster.Dispose();
}
