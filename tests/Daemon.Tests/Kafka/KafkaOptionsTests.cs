using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class KafkaOptionsTests
{
    private static KafkaOptions Bind(params (string Key, string Value)[] values) =>
        RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build()).Kafka;

    private static IReadOnlyList<string> Problems(KafkaOptions options) => new KafkaOptionsValidator().Problems(options);

    private static KafkaOptions WithBroker(params (string Key, string Value)[] values) =>
        Bind([("Kafka:BootstrapServers", "kafka-0:9092,kafka-1:9092"), .. values]);

    [Fact]
    public void EveryInvalidKafkaKeyGetsItsOwnLineNamingIt()
    {
        var errors = RecurringSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "kafka-0",
            ["Kafka:Topic"] = "",
            ["Kafka:GroupId"] = " ",
            ["Kafka:DeadLetterTopic"] = "bad topic",
            ["Kafka:ModelUpdatesTopic"] = "..",
            ["Kafka:Retry:MaxAttempts"] = "0",
        }).Build()).Validate();

        Assert.Equal(6, errors.Count);
        foreach (var key in new[] { "BootstrapServers", "Topic", "GroupId", "DeadLetterTopic", "ModelUpdatesTopic", "Retry:MaxAttempts" })
            Assert.Contains(errors, e => e.StartsWith($"Kafka:{key} "));
    }

    [Fact]
    public void AnOutputTopicThatIsTheInputTopicIsRejected()
    {
        var error = Assert.Single(Problems(WithBroker(("Kafka:DeadLetterTopic", "clicks"))));
        Assert.StartsWith("Kafka:DeadLetterTopic must differ from Kafka:Topic", error);
    }

    [Fact]
    public void AMaxPollIntervalShorterThanTheSessionTimeoutIsRejected()
    {
        var error = Assert.Single(Problems(WithBroker(("Kafka:SessionTimeoutMilliseconds", "60000"), ("Kafka:MaxPollIntervalMilliseconds", "30000"))));
        Assert.StartsWith("Kafka:MaxPollIntervalMilliseconds", error);
    }

    [Fact]
    public void AnUnknownStartFromNamesTheKeyAndTheAcceptedValues()
    {
        var error = Assert.Single(RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Kafka:StartFrom", "middle")]).Build()).Validate());
        Assert.Contains("Kafka:StartFrom", error);
        Assert.Contains("earliest, latest", error);
    }

    [Theory]
    [InlineData("earliest", AutoOffsetReset.Earliest)]
    [InlineData("Latest", AutoOffsetReset.Latest)]
    public void PartitionsUnknownToTheCheckpointStartWhereStartFromSays(string startFrom, AutoOffsetReset expected) =>
        Assert.Equal(expected, WithBroker(("Kafka:StartFrom", startFrom)).ToConsumerConfig().AutoOffsetReset);

    [Fact]
    public void TheConsumerLeavesOffsetsToTheTrainer()
    {
        var config = WithBroker().ToConsumerConfig();
        Assert.False(config.EnableAutoCommit);
        Assert.False(config.EnableAutoOffsetStore);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, config.PartitionAssignmentStrategy);
        Assert.Equal("recurring", config.GroupId);
    }

    [Fact]
    public void TheProducerIsIdempotentAndWaitsForAllReplicas()
    {
        var config = WithBroker().ToProducerConfig();
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
    }

    [Fact]
    public void DottedPropertiesBindAndOverrideTheBuiltInSettings()
    {
        var options = WithBroker(("Kafka:Properties:security.protocol", "SASL_SSL"), ("Kafka:Properties:compression.type", "zstd"));
        Assert.Equal("zstd", options.ToProducerConfig().Get("compression.type"));
        Assert.Equal("SASL_SSL", options.ToProducerConfig().Get("security.protocol"));
        Assert.Equal("SASL_SSL", options.ToConsumerConfig().Get("security.protocol"));
        Assert.Equal("SASL_SSL", options.ToAdminClientConfig().Get("security.protocol"));
    }

    [Fact]
    public void PropertiesMustNotTakeOffsetsAwayFromTheCheckpoint()
    {
        var error = Assert.Single(Problems(WithBroker(("Kafka:Properties:enable.auto.commit", "true"))));
        Assert.StartsWith("Kafka:Properties:enable.auto.commit", error);
    }

    [Fact]
    public void TheDescriptionMasksSecretsAndShowsTheRest()
    {
        var description = WithBroker(
            ("Kafka:Properties:sasl.username", "recurring"),
            ("Kafka:Properties:sasl.password", "hunter2"),
            ("Kafka:Properties:ssl.key.password", "hunter3"),
            ("Kafka:Properties:sasl.oauthbearer.client.secret", "hunter4")).Describe();

        Assert.Equal("recurring", description["Kafka:Properties:sasl.username"]);
        Assert.Equal("***", description["Kafka:Properties:sasl.password"]);
        Assert.Equal("***", description["Kafka:Properties:ssl.key.password"]);
        Assert.Equal("***", description["Kafka:Properties:sasl.oauthbearer.client.secret"]);
        Assert.Equal("kafka-0:9092,kafka-1:9092", description["Kafka:BootstrapServers"]);
        Assert.DoesNotContain(description.Values, value => value.StartsWith("hunter"));
    }

    [Fact]
    public void OnlyPropertiesKnownToBeHarmlessAreShown()
    {
        var description = WithBroker(
            ("Kafka:Properties:sasl.oauthbearer.config", "clientSecret=hunter5"),
            ("Kafka:Properties:sasl.jaas.config", "password=hunter6"),
            ("Kafka:Properties:security.protocol", "SASL_SSL"),
            ("Kafka:Properties:fetch.wait.max.ms", "20")).Describe();

        Assert.Equal("***", description["Kafka:Properties:sasl.oauthbearer.config"]);
        Assert.Equal("***", description["Kafka:Properties:sasl.jaas.config"]);
        Assert.Equal("SASL_SSL", description["Kafka:Properties:security.protocol"]);
        Assert.Equal("20", description["Kafka:Properties:fetch.wait.max.ms"]);
    }

    [Fact]
    public void ClientsOfTheEmbeddedBrokerNeedItsAddressFirst()
    {
        var embedded = Bind(("Kafka:Embedded", "true"));
        Assert.True(embedded.UsesEmbeddedBroker);
        Assert.Throws<InvalidOperationException>(() => embedded.ToProducerConfig());
        Assert.Equal("127.0.0.1:9092", embedded.WithBootstrapServers("127.0.0.1:9092").ToProducerConfig().BootstrapServers);
    }
}
