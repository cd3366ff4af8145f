using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Daemon;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Streaming;

public sealed class KafkaEventReaderTests(KafkaClusterFixture kafka) : IClassFixture<KafkaClusterFixture>
{
    /// <summary>
    /// What happens when the trainer fails: nobody completes the reader, and the host disposes it while its thread
    /// waits in a read. The consumer must not be freed under that read (it ended the process before).
    /// </summary>
    [Fact]
    public async Task DisposedWithoutCompletionItStopsReadingClosesItsQueueAndCommitsNothing()
    {
        var options = await TopicWithEventsAsync(40);
        var reader = Reader(options, new StatusCell<ReaderState>(new ReaderState()));
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
    public async Task EventsDeletedByRetentionBeforeTheyWereReadAreCountedAndReadingGoesOnFromTheOldestLeft()
    {
        var options = await TopicWithEventsAsync(40_000);
        long logStart = TopicReader.LowWatermark(options.BootstrapServers, new TopicPartition(options.Topic, 0));
        Assert.True(logStart > 0, "the brokers still hold the first event");
        var status = new StatusCell<ReaderState>(new ReaderState());
        using var reader = Reader(options, status, restoredPosition: 0);
        reader.Start(CancellationToken.None);

        var first = await NextBatchAsync(reader);

        Assert.Equal(logStart, first.Events[0].Offset);
        Assert.Equal(logStart, status.Current.OffsetsDeleted);
    }

    /// <summary>
    /// A position past the log end (the topic was deleted and recreated, or truncated) makes the brokers reset reading to
    /// the earliest offset: those offsets may hold events trained before, so the jump is logged and counted.
    /// </summary>
    [Fact]
    public async Task APositionPastTheLogEndThatTheBrokersResetToTheEarliestIsLoggedAndCounted()
    {
        var options = await TopicWithEventsAsync(40);
        var status = new StatusCell<ReaderState>(new ReaderState());
        var log = new RecordingLogger();
        using var reader = Reader(options, status, restoredPosition: 500, log);
        reader.Start(CancellationToken.None);

        var first = await NextBatchAsync(reader);

        Assert.Equal(0, first.Events[0].Offset);
        Assert.Equal(500, status.Current.OffsetsRewound);
        Assert.Single(log.Lines, l => l.StartsWith($"Warning: {options.Topic}[0]: read offset 0 where 500 was next", StringComparison.Ordinal));
    }

    /// <summary>
    /// Kafka:StartFrom is resolved to a concrete offset at assignment and handed to the trainer before any event, so the
    /// next checkpoint holds it and a restart goes on from there rather than looking up "latest" again.
    /// </summary>
    [Fact]
    public async Task APartitionWithoutAPositionStartsAtAConcreteOffsetWhichTheTrainerReceivesBeforeAnyEvent()
    {
        var options = await TopicWithEventsAsync(40);
        options.StartFrom = KafkaStartFrom.Latest;
        var log = new RecordingLogger();
        using var reader = Reader(options, new StatusCell<ReaderState>(new ReaderState()), restoredPosition: null, log);
        reader.Start(CancellationToken.None);

        var first = await NextBatchAsync(reader);

        Assert.Equal(0, first.Consumed);
        Assert.Equal(40, first.NextOffsets[new StreamPartition(options.Topic, 0)]);
        Assert.Contains($"Information: Assigned {options.Topic}[0]@40 (latest)", log.Lines);
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

    private static KafkaEventReader Reader(KafkaOptions options, StatusCell<ReaderState> status, long? restoredPosition = null, ILogger? logger = null) =>
        new(options, new StreamingOptions { MaxBatchSize = 16, MaxBatchWaitMilliseconds = 50 }, new FeatureEncoder(FeatureSchema.Criteo(1_000), FeatureStatistics.None),
            restoredPosition is { } next ? [new StreamPosition(options.Topic, 0, next)] : [],
            status, logger ?? NullLogger.Instance);

    private static async Task<StreamBatch> NextBatchAsync(KafkaEventReader reader) =>
        (StreamBatch)await reader.Items.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
