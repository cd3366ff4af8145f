using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The embedded broker, the Development environment's default without Kafka:BootstrapServers: an in-process
/// Kafka-protocol broker fed by a paced synthetic producer that continues the offline history. The broker lives and
/// dies with the process.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class EmbeddedBrokerTests(KafkaClusterFixture kafka)
{
    /// <summary>Offline:SyntheticEvents + Offline:EvalEvents of <see cref="DaemonSetup"/>: where the stream begins.</summary>
    private const long FirstStreamedEvent = 1024 + 256;

    [Fact]
    public async Task WithoutBootstrapServersTheDaemonStreamsTheSyntheticEventsThatFollowItsOfflineHistory()
    {
        using var setup = Embedded();

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await daemon.WaitUntilTrainedAsync(4 * DaemonSetup.BatchSize);
        await daemon.StopAsync();

        Assert.Equal(FirstStreamedEvent, daemon.Kafka.EmbeddedFirstEvent);
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(daemon.Current.Streaming.EventsTrained, StreamingCounters.From(last).Trained);
    }

    [Fact]
    public async Task AfterARestartTheEmbeddedStreamGoesOnAfterTheEventsTheModelAlreadyConsumed()
    {
        using var setup = Embedded();
        await using (var first = await RunningDaemon.StartStreamingAsync(setup))
        {
            await first.WaitUntilTrainedAsync(4 * DaemonSetup.BatchSize);
            await first.StopAsync();
        }
        var stopped = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        long consumedBefore = StreamingCounters.From(stopped).Consumed;

        await using var second = await RunningDaemon.StartStreamingAsync(setup);
        Assert.Equal(FirstStreamedEvent + consumedBefore, second.Kafka.EmbeddedFirstEvent);
        await second.WaitUntilTrainedAsync(consumedBefore + 4 * DaemonSetup.BatchSize);
        await second.StopAsync();

        // The new broker's topic was read from its start, not from the old topic's offsets, and the counters go on.
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        long consumed = StreamingCounters.From(last).Consumed;
        Assert.Equal(consumed - consumedBefore, Checkpoints.Positions(last, setup.Topic).Values.Sum());
    }

    /// <summary>
    /// The mock brokers keep about 5 MiB per partition: a producer that ran on at full rate while training stood still
    /// would have them delete events before they were read.
    /// </summary>
    [Fact]
    public async Task ATrainerThatFallsBehindHoldsTheEmbeddedProducerBackSoNoEventIsDeletedUnread()
    {
        using var setup = Embedded(eventsPerSecond: 50_000);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);

        (await daemon.PostAsync("/pause", DaemonSetup.Token)).EnsureSuccessStatusCode();
        var paused = await daemon.WaitUntilAsync(s => s.Reader.Paused, "training is paused");
        long limit = paused.Streaming.EventsConsumed + KafkaEndpoint.EmbeddedMaxAhead;
        await Eventually.Until(() => daemon.Kafka.EmbeddedEventsDelivered, delivered => delivered >= limit - 1_000, "the producer runs up to its limit",
            delivered => $"{delivered} delivered, limit {limit}");
        await Task.Delay(TimeSpan.FromSeconds(1)); // 50,000 more events at the configured rate, were it not held back
        // The last batches read before the pause took effect count too.
        long consumed = daemon.Current.Streaming.EventsConsumed;
        Assert.InRange(daemon.Kafka.EmbeddedEventsDelivered, consumed + KafkaEndpoint.EmbeddedMaxAhead - 1_000, consumed + KafkaEndpoint.EmbeddedMaxAhead + 1);

        (await daemon.PostAsync("/resume", DaemonSetup.Token)).EnsureSuccessStatusCode();
        await daemon.WaitUntilTrainedAsync(limit);
        await daemon.StopAsync();
        Assert.Equal(0, daemon.Current.Reader.OffsetsDeleted);
    }

    private DaemonSetup Embedded(int eventsPerSecond = 2_000) =>
        new DaemonSetup(kafka)
            .InEnvironment("Development")
            .With("Kafka:BootstrapServers", "")
            .With("Kafka:EmbeddedEventsPerSecond", $"{eventsPerSecond}");
}
