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
        var options = kafka.Options();
        options.Topic = kafka.NewTopic(partitions: 1);
        options.GroupId = $"reader-{Guid.NewGuid():N}";
        options.StartFrom = KafkaStartFrom.Earliest;
        using (var clicks = new ClickTopic(options.BootstrapServers, options.Topic)) await clicks.ProduceEventsAsync(40);
        var status = new DaemonStatus();
        var reader = new KafkaEventReader(options, new StreamingOptions { MaxBatchSize = 16, MaxBatchWaitMilliseconds = 50 },
            new FeatureHashing(Enumerable.Repeat(1_000, 26).ToList()), new Dictionary<TopicPartition, long>(), status, NullLogger.Instance);
        reader.Start(CancellationToken.None);
        var received = 0L;
        while (received < 40)
        {
            var item = await reader.Items.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            received += ((StreamBatch)item).Consumed;
        }
        // The reader now waits in Consume for more, and no checkpoint ever asks it to commit.
        await Task.Run(reader.Dispose).WaitAsync(TimeSpan.FromSeconds(60));

        await reader.Items.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = options.BootstrapServers, GroupId = options.GroupId })
            .SetLogHandler((_, _) => { })
            .Build();
        var committed = probe.Committed([new TopicPartition(options.Topic, 0)], TimeSpan.FromSeconds(10));
        Assert.Equal(Offset.Unset, Assert.Single(committed).Offset);
    }
}
