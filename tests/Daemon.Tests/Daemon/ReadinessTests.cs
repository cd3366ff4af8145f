using System.Net;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class ReadinessTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task ReadinessFailsWhileTheBrokersAreUnreachableAndRecoversAfterWithNoEventLostOrTrainedTwice()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(200);
        await daemon.WaitUntilAsync(s => s.Streaming.EventsTrained == 200 && s.Reader.Partitions.Count == 4, "200 events are trained from 4 partitions");
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(daemon));

        Task<IReadOnlyList<Confluent.Kafka.TopicPartitionOffset>> duringOutage;
        kafka.Cluster.SetBrokersDown(true);
        try
        {
            await Eventually.Until(() => ReadyAsync(daemon), code => code == HttpStatusCode.ServiceUnavailable,
                "/health/ready reports the brokers unreachable", code => $"{(int)code}; {RunningDaemon.Describe(daemon.Current)}");
            // Produced while the brokers are down: the client holds them and delivers them once the brokers are back.
            duringOutage = topic.ProduceEventsAsync(200);
            // The outage lasts until the consumer's session expires (Kafka:SessionTimeoutMilliseconds) and it loses its
            // partitions, so it has to rejoin afterwards; not ready all along.
            await Eventually.Until(async () => (Code: await ReadyAsync(daemon), Status: daemon.Current),
                seen => seen.Code == HttpStatusCode.ServiceUnavailable ? seen.Status.Reader.Partitions.Count == 0 : throw new InvalidOperationException($"Ready during the outage: {RunningDaemon.Describe(seen.Status)}"),
                "the consumer loses its partitions", seen => RunningDaemon.Describe(seen.Status));
            // A checkpoint taken while the partitions are away still holds where training stands on each of them.
            using var checkpoint = await daemon.PostAsync("/checkpoints", DaemonSetup.Token);
            Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
            var duringLoss = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
            Assert.Equal(4, Checkpoints.Positions(duringLoss, setup.Topic).Count);
            Assert.Equal(200, Checkpoints.Positions(duringLoss, setup.Topic).Values.Sum());
        }
        finally
        {
            kafka.Cluster.SetBrokersDown(false);
        }

        await Eventually.Until(() => ReadyAsync(daemon), code => code == HttpStatusCode.OK,
            "/health/ready reports ready again", code => $"{(int)code}; {RunningDaemon.Describe(daemon.Current)}");
        await duringOutage;
        await topic.ProduceEventsAsync(200);
        await daemon.WaitUntilAsync(s => s.Streaming.EventsConsumed >= 600, "every event is consumed");
        await daemon.StopAsync();

        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(topic.EndOffsets(), Checkpoints.Positions(last, setup.Topic));
        Assert.Equal(600, StreamingCounters.From(last).Consumed);
        Assert.Equal(600, StreamingCounters.From(last).Trained);
    }

    private static async Task<HttpStatusCode> ReadyAsync(RunningDaemon daemon)
    {
        using var response = await daemon.Http.GetAsync("/health/ready");
        return response.StatusCode;
    }
}
