using System.Diagnostics;
using Confluent.Kafka;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class EmbeddedKafkaClusterTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
{
    [Fact]
    public void ClientsSeeThreeBrokers()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.Cluster.BootstrapServers }).Build();
        Assert.Equal(EmbeddedKafkaCluster.DefaultBrokerCount, admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Count);
    }

    [Fact]
    public void ACreatedTopicHasTheRequestedNumberOfPartitions()
    {
        var topic = fixture.NewTopic(partitions: 7);
        Assert.Equal(7, TopicReader.Partitions(fixture.Cluster.BootstrapServers, topic).Count);
    }

    [Fact]
    public void CreatingATopicTwiceFails()
    {
        var topic = fixture.NewTopic();
        var error = Assert.Throws<KafkaException>(() => fixture.Cluster.CreateTopic(topic, 2));
        Assert.Equal(ErrorCode.TopicAlreadyExists, error.Error.Code);
    }

    [Fact]
    public void TheMockApiUsesTheLibraryConfluentKafkaLoadedRatherThanASecondCopy()
    {
        using var process = Process.GetCurrentProcess();
        var librdkafkaFiles = process.Modules.Cast<ProcessModule>()
            .Select(module => module.FileName)
            .Where(file => Path.GetFileName(file).Contains("librdkafka", StringComparison.OrdinalIgnoreCase))
            .Distinct()
            .ToList();
        Assert.Single(librdkafkaFiles);
    }

    [Fact]
    public async Task MessagesFailWhileTheBrokersAreDownAndGetThroughOnceTheyAreBack()
    {
        using var cluster = new EmbeddedKafkaCluster();
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                MessageTimeoutMs = 1_000,
                ReconnectBackoffMaxMs = 100,
            })
            .SetLogHandler((_, _) => { })
            .Build();
        await producer.ProduceAsync("outage", new Message<Null, string> { Value = "before" });

        cluster.SetBrokersDown(true);
        var duringOutage = await Assert.ThrowsAsync<ProduceException<Null, string>>(() =>
            producer.ProduceAsync("outage", new Message<Null, string> { Value = "during" }));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, duringOutage.Error.Code);

        cluster.SetBrokersDown(false);
        Assert.Equal(PersistenceStatus.Persisted, await ProduceUntilDeliveredAsync(producer, "after"));
    }

    /// <summary>The client reconnects with back-off, so the first messages after an outage may still time out.</summary>
    private static async Task<PersistenceStatus> ProduceUntilDeliveredAsync(IProducer<Null, string> producer, string value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return (await producer.ProduceAsync("outage", new Message<Null, string> { Value = value })).Status;
            }
            catch (ProduceException<Null, string> e) when (e.Error.Code == ErrorCode.Local_MsgTimedOut && DateTime.UtcNow < deadline)
            {
                // Still reconnecting: try again.
            }
        }
    }

    [Fact]
    public void DisposingTheClusterStopsItsBrokers()
    {
        var cluster = new EmbeddedKafkaCluster();
        var bootstrapServers = cluster.BootstrapServers;
        cluster.Dispose();

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers })
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(1)));
    }
}
