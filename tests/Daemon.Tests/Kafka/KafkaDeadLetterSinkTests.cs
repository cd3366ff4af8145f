using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class KafkaDeadLetterSinkTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
{
    private KafkaDeadLetterSink Sink(KafkaOptions options, string topic) =>
        new(options.ToProducerConfig(), topic, KafkaResilience.CreateRetryPipeline(options.Retry, NullLogger.Instance, "dead letter"), NullLogger.Instance);

    private static string Header(Confluent.Kafka.Headers headers, string name) => Encoding.UTF8.GetString(headers.GetLastBytes(name));

    [Fact]
    public async Task ADeadLetterKeepsTheOriginalMessageAndCarriesTheReasonAndSourceAsHeaders()
    {
        var topic = fixture.NewTopic();
        var letter = DeadLetters.Malformed();
        using (var sink = Sink(fixture.Options(), topic)) await sink.WriteAsync(letter, CancellationToken.None);

        var message = Assert.Single(TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 1)).Message;
        Assert.Equal(letter.Payload, message.Value);
        Assert.Equal(letter.Key, message.Key);
        Assert.Equal("wrong-field-count", Header(message.Headers, KafkaDeadLetterSink.ErrorKindHeader));
        Assert.Equal(letter.Reason.Message, Header(message.Headers, KafkaDeadLetterSink.ErrorReasonHeader));
        Assert.Equal("clicks", Header(message.Headers, KafkaDeadLetterSink.SourceTopicHeader));
        Assert.Equal("3", Header(message.Headers, KafkaDeadLetterSink.SourcePartitionHeader));
        Assert.Equal("42", Header(message.Headers, KafkaDeadLetterSink.SourceOffsetHeader));
    }

    [Fact]
    public async Task ALetterCarriesThePayloadsOriginalSizeAndSha256AsHeaders()
    {
        var topic = fixture.NewTopic();
        var whole = DeadLetters.Malformed();
        var cut = whole with { Payload = whole.Payload[..4] }; // Original still describes the whole payload
        using (var sink = Sink(fixture.Options(), topic)) await sink.WriteAsync(cut, CancellationToken.None);

        var message = Assert.Single(TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 1)).Message;
        Assert.Equal(whole.Payload[..4], message.Value);
        Assert.Equal($"{whole.Payload.Length}", Header(message.Headers, KafkaDeadLetterSink.PayloadBytesHeader));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(whole.Payload)), Header(message.Headers, KafkaDeadLetterSink.PayloadSha256Header));
    }

    [Fact]
    public async Task WrittenLettersAreCountedByKind()
    {
        using var sink = Sink(fixture.Options(), fixture.NewTopic());
        await sink.WriteAsync(DeadLetters.Malformed(offset: 1), CancellationToken.None);
        await sink.WriteAsync(DeadLetters.Malformed(offset: 2), CancellationToken.None);
        await sink.WriteAsync(DeadLetters.FromPoisonedBatch(), CancellationToken.None);

        Assert.Equal(new Dictionary<string, long> { ["non-finite-batch"] = 1, ["wrong-field-count"] = 2 }, sink.Written.ByKind);
    }

    [Fact]
    public async Task ALetterWrittenWhileTheBrokersAreDownIsStoredOnceTheyReturn()
    {
        using var cluster = new EmbeddedKafkaCluster();
        var options = new KafkaOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            DeliveryTimeoutMilliseconds = 300,
            Retry = { MaxAttempts = 100, BaseDelayMilliseconds = 50, MaxDelayMilliseconds = 200 },
            Properties = { ["reconnect.backoff.max.ms"] = "200" },
        };
        var retries = new RecordingLogger();
        using var sink = new KafkaDeadLetterSink(options.ToProducerConfig(), "dead-letters",
            KafkaResilience.CreateRetryPipeline(options.Retry, retries, "dead letter"), NullLogger.Instance);

        cluster.SetBrokersDown(true);
        var write = sink.WriteAsync(DeadLetters.Malformed(), CancellationToken.None).AsTask();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (retries.Warnings == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(retries.Warnings > 0, "The first attempt should have failed and been retried while the brokers were down.");
        cluster.SetBrokersDown(false);
        await write;

        var message = Assert.Single(TopicReader.Read(cluster.BootstrapServers, "dead-letters", 1)).Message;
        Assert.Equal("42", Header(message.Headers, KafkaDeadLetterSink.SourceOffsetHeader));
    }
}
