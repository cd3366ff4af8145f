using Confluent.Kafka;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// Writes click events to a test's topic the way producers in production would (the daemon's wire format, keyed by
/// event index), plus arbitrary raw values, and reports where each one landed. Also asks the brokers for end offsets.
/// </summary>
internal sealed class ClickTopic : IDisposable
{
    /// <summary>A small calibration sample: the events' content matters little here.</summary>
    private static readonly SyntheticClickGenerator Generator = new(new SyntheticDataOptions { Seed = 11, CalibrationSampleSize = 1_000 });

    private readonly string _bootstrapServers;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly ClickEventEncoder _encoder = new();
    private readonly CriteoRecord _record = new();
    private long _nextEvent;

    /// <param name="messageMaxBytes">The largest message this producer sends (librdkafka's default: 1,000,000 bytes).</param>
    public ClickTopic(string bootstrapServers, string topic, int? messageMaxBytes = null)
    {
        _bootstrapServers = bootstrapServers;
        Topic = topic;
        _producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig
            {
                BootstrapServers = bootstrapServers,
                EnableIdempotence = true,
                LingerMs = 1,
                // Long enough to outlast a test's broker outage: messages produced meanwhile get through after it.
                MessageTimeoutMs = 30_000,
                MessageMaxBytes = messageMaxBytes,
            })
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public string Topic { get; }

    /// <summary>The canonical line of synthetic event <paramref name="eventIndex"/>, as the producer writes it.</summary>
    public byte[] Line(long eventIndex)
    {
        Generator.Generate(eventIndex, _record);
        return _encoder.Encode(_record);
    }

    /// <summary>The next <paramref name="count"/> synthetic events, on the partitions their keys pick or on <paramref name="partition"/>.</summary>
    public Task<IReadOnlyList<TopicPartitionOffset>> ProduceEventsAsync(int count, int? partition = null)
    {
        var messages = new List<(byte[]? Key, byte[] Value)>(count);
        for (int i = 0; i < count; i++, _nextEvent++) messages.Add((ClickEventEncoder.EventIndexKey(_nextEvent), Line(_nextEvent)));
        return ProduceAsync(messages, partition);
    }

    /// <summary>Each message in order; returns where each landed once all are acknowledged.</summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> ProduceAsync(IReadOnlyList<(byte[]? Key, byte[] Value)> messages, int? partition = null)
    {
        // Handed to the client in order, so each partition keeps that order (idempotent producer).
        var deliveries = messages.Select(m =>
        {
            var message = new Message<byte[]?, byte[]> { Key = m.Key, Value = m.Value };
            return partition is { } p ? _producer.ProduceAsync(new TopicPartition(Topic, p), message) : _producer.ProduceAsync(Topic, message);
        }).ToList();
        var results = await Task.WhenAll(deliveries);
        return results.Select(r => r.TopicPartitionOffset).ToList();
    }

    /// <summary>The brokers' end offset (high watermark) of every partition.</summary>
    public IReadOnlyDictionary<int, long> EndOffsets()
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _bootstrapServers, GroupId = $"watermarks-{Guid.NewGuid():N}" })
            .SetLogHandler((_, _) => { })
            .Build();
        return Kafka.TopicReader.Partitions(_bootstrapServers, Topic)
            .ToDictionary(p => p.Value, p => consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    public void Dispose()
    {
        _producer.Dispose();
        _encoder.Dispose();
    }
}
