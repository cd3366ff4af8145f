using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class SyntheticEventProducerTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
{
    /// <summary>Small calibration sample: the events' content does not matter here, only that they are the generator's.</summary>
    private static readonly SyntheticClickGenerator Generator = new(new SyntheticDataOptions { Seed = 7, CalibrationSampleSize = 1_000 });

    private SyntheticEventProducer Producer(string topic, ProducerConfig? config = null) =>
        new(config ?? fixture.Options().ToProducerConfig(), topic, Generator, NullLogger.Instance);

    private static async Task ProduceAndFlushAsync(SyntheticEventProducer producer, long first, long count)
    {
        await producer.ProduceAsync(first, count, eventsPerSecond: 0, CancellationToken.None);
        await producer.FlushAsync(CancellationToken.None);
    }

    /// <summary>What a fresh generator writes for event <paramref name="eventIndex"/>: its Criteo TSV line without the '\n'.</summary>
    private static byte[] FreshLine(long eventIndex)
    {
        var record = new CriteoRecord();
        Generator.Generate(eventIndex, record);
        var output = new MemoryStream();
        using (var writer = new CriteoTsvWriter(output, leaveOpen: true)) writer.Write(record);
        return output.ToArray()[..^1];
    }

    private static long EventIndex(ConsumeResult<byte[]?, byte[]?> message)
    {
        Assert.True(ClickEventEncoder.TryReadEventIndex(message.Message.Key, out long eventIndex));
        return eventIndex;
    }

    [Fact]
    public async Task ProducesExactlyTheRequestedNumberOfEvents()
    {
        var topic = fixture.NewTopic();
        using var producer = Producer(topic);
        await ProduceAndFlushAsync(producer, 0, 500);

        Assert.Equal((500, 500, 0), (producer.Produced, producer.Delivered, producer.Failed));
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i),
            TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 500).Select(EventIndex).Order());
    }

    [Fact]
    public async Task ConsumedEventsParseBackIntoTheGeneratorsRecords()
    {
        var topic = fixture.NewTopic();
        using var producer = Producer(topic);
        await ProduceAndFlushAsync(producer, 0, 200);

        var parsed = new CriteoRecord();
        var expected = new CriteoRecord();
        foreach (var message in TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 200))
        {
            Assert.True(CriteoLineParser.TryParse(message.Message.Value, parsed, out _, out var reason), reason);
            Generator.Generate(EventIndex(message), expected);
            Assert.Equal(expected.Label, parsed.Label);
            Assert.Equal(expected.Dense, parsed.Dense);
            Assert.Equal(expected.Categorical, parsed.Categorical);
        }
    }

    [Fact]
    public async Task StartingAtAnEventIndexWritesTheSameBytesAsAFreshGenerator()
    {
        var topic = fixture.NewTopic();
        using var producer = Producer(topic);
        await ProduceAndFlushAsync(producer, 1_000, 100);

        var messages = TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 100);
        Assert.Equal(Enumerable.Range(1_000, 100).Select(i => (long)i), messages.Select(EventIndex).Order());
        Assert.All(messages, message => Assert.Equal(FreshLine(EventIndex(message)), message.Message.Value));
        Assert.Equal(1_100, producer.NextEvent);
    }

    [Fact]
    public async Task AFullClientQueueDelaysEventsInsteadOfLosingThem()
    {
        var topic = fixture.NewTopic();
        var config = fixture.Options().ToProducerConfig();
        config.QueueBufferingMaxMessages = 20;
        using var producer = Producer(topic, config);
        await ProduceAndFlushAsync(producer, 0, 2_000);

        Assert.Equal((2_000, 0), (producer.Delivered, producer.Failed));
    }

    [Fact]
    public async Task ProducingForeverStopsWhenCancelled()
    {
        var topic = fixture.NewTopic();
        using var producer = Producer(topic);
        using var cancellation = new CancellationTokenSource();
        var run = producer.ProduceAsync(0, SyntheticEventProducer.Forever, eventsPerSecond: 500, cancellation.Token);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (producer.Delivered < 10 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(producer.Delivered >= 10);
        Assert.Equal(producer.Produced, producer.NextEvent);
    }
}
