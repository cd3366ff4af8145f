using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class ModelUpdatePublisherTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
{
    private static readonly ModelUpdate Update = new("ckpt-000123", "/var/lib/recurring/checkpoints/ckpt-000123", Step: 4_000, Samples: 8_192_000,
        new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero), new Dictionary<string, double> { ["auc"] = 0.78, ["logLoss"] = 0.49 });

    private static ModelUpdatePublisher Publisher(KafkaOptions options, string topic) =>
        new(options.ToProducerConfig(), topic, KafkaResilience.CreateRetryPipeline(options.Retry, NullLogger.Instance, "model update"), NullLogger.Instance);

    [Fact]
    public async Task AnUpdateLandsOnItsTopicAsJsonKeyedByTheCheckpointId()
    {
        var topic = fixture.NewTopic();
        using var publisher = Publisher(fixture.Options(), topic);
        Assert.True(await publisher.PublishAsync(Update, CancellationToken.None));

        var message = Assert.Single(TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 1)).Message;
        Assert.Equal("ckpt-000123", Encoding.UTF8.GetString(message.Key!));
        var json = JsonDocument.Parse(message.Value!).RootElement;
        Assert.Equal("ckpt-000123", json.GetProperty("checkpointId").GetString());
        Assert.Equal(Update.Location, json.GetProperty("location").GetString());
        Assert.Equal(4_000, json.GetProperty("step").GetInt64());
        Assert.Equal(8_192_000, json.GetProperty("samples").GetInt64());
        Assert.Equal(Update.CreatedUtc, json.GetProperty("createdUtc").GetDateTimeOffset());
        Assert.Equal(0.78, json.GetProperty("metrics").GetProperty("auc").GetDouble());
    }

    [Fact]
    public async Task AnUpdateThatCannotBeDeliveredIsReportedInsteadOfThrown()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.SetBrokersDown(true);
        var options = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, DeliveryTimeoutMilliseconds = 300, Retry = { MaxAttempts = 1 } };
        using var publisher = Publisher(options, "model-updates");

        Assert.False(await publisher.PublishAsync(Update, CancellationToken.None));
    }
}
