using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Daemon;

namespace Recurring.Daemon.Tests.Kafka;

public sealed class KafkaEventReaderTests(KafkaClusterFixture kafka) : IClassFixture<KafkaClusterFixture>
{
    /// <summary>
    /// What happens when the trainer fails: nobody completes the reader, and the host disposes it while its thread
    /// waits in a read. The consumer must not be freed under that read (it ended the process before).
    /// </summary>
    [Fact]
    public async Task Disposed_without_completion_it_stops_reading_closes_its_queue_and_commits_nothing()
    {
        var options = await TopicWithEventsAsync(40);
        var reader = Reader(options, new DaemonStatus());
        reader.Start(CancellationToken.None);
        for (long received = 0; received < 40;) received += (await NextBatchAsync(reader)).Consumed;
        // The reader now waits in Consume for more, and no checkpoint ever asks it to commit.

        await Task.Run(reader.Dispose).WaitAsync(TimeSpan.FromSeconds(60));

        await reader.Items.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = options.BootstrapServers, GroupId = options.GroupId })
            .SetLogHandler((_, _) => { })
            .Build();
        var committed = probe.Committed([new TopicPartition(options.Topic, 0)], TimeSpan.FromSeconds(10));
        Assert.Equal(Offset.Unset, Assert.Single(committed).Offset);
    }

    /// <summary>The mock brokers keep about 5 MiB per partition, so the oldest of 40,000 events are gone, as after retention.</summary>
    [Fact]
    public async Task Events_deleted_by_retention_before_they_were_read_are_counted_and_reading_goes_on_from_the_oldest_left()
    {
        var options = await TopicWithEventsAsync(40_000);
        long logStart = TopicReader.LowWatermark(options.BootstrapServers, new TopicPartition(options.Topic, 0));
        Assert.True(logStart > 0, "the brokers still hold the first event");
        var status = new DaemonStatus();
        using var reader = Reader(options, status, restoredPosition: 0);
        reader.Start(CancellationToken.None);

        var first = await NextBatchAsync(reader);

        Assert.Equal(logStart, first.Events[0].Origin.Offset.Value);
        Assert.Equal(logStart, status.Current.OffsetsDeleted);
    }

    /// <summary>A one-partition topic of its own holding <paramref name="events"/> events, and a consumer group of its own.</summary>
    private async Task<KafkaOptions> TopicWithEventsAsync(int events)
    {
        var options = kafka.Options();
        options.Topic = kafka.NewTopic(partitions: 1);
        options.GroupId = $"reader-{Guid.NewGuid():N}";
        options.StartFrom = KafkaStartFrom.Earliest;
        using var clicks = new ClickTopic(options.BootstrapServers, options.Topic);
        await clicks.ProduceEventsAsync(events);
        return options;
    }

    private static KafkaEventReader Reader(KafkaOptions options, DaemonStatus status, long? restoredPosition = null) =>
        new(options, new StreamingOptions { MaxBatchSize = 16, MaxBatchWaitMilliseconds = 50 }, new FeatureHashing(Enumerable.Repeat(1_000, 26).ToList()),
            restoredPosition is { } next ? new Dictionary<TopicPartition, long> { [new TopicPartition(options.Topic, 0)] = next } : [],
            status, NullLogger.Instance);

    private static async Task<StreamBatch> NextBatchAsync(KafkaEventReader reader) =>
        (StreamBatch)await reader.Items.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
