using System.Net;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class ReadinessTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task Readiness_fails_while_the_brokers_are_unreachable_and_recovers_after_with_no_event_lost_or_trained_twice()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(200);
        await daemon.WaitUntilAsync(s => s.EventsTrained == 200 && s.Partitions.Count == 4, "200 events are trained from 4 partitions");
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
                seen => seen.Code == HttpStatusCode.ServiceUnavailable ? seen.Status.Partitions.Count == 0 : throw new InvalidOperationException($"Ready during the outage: {RunningDaemon.Describe(seen.Status)}"),
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
        await daemon.WaitUntilAsync(s => s.EventsConsumed >= 600, "every event is consumed");
        await daemon.StopAsync();

        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(topic.EndOffsets(), Checkpoints.Positions(last, setup.Topic));
        Assert.Equal(600, last.Counters.Other[StreamingTrainer.ConsumedCounter]);
        Assert.Equal(600, last.Counters.Other[StreamingTrainer.TrainedCounter]);
    }

    private static async Task<HttpStatusCode> ReadyAsync(RunningDaemon daemon)
    {
        using var response = await daemon.Http.GetAsync("/health/ready");
        return response.StatusCode;
    }
}
