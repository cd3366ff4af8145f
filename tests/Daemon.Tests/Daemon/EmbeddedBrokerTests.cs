using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The embedded default (no Kafka:BootstrapServers): an in-process Kafka-protocol broker fed by a paced synthetic
/// producer that continues the offline history. The broker lives and dies with the process.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class EmbeddedBrokerTests(KafkaClusterFixture kafka)
{
    /// <summary>Offline:SyntheticEvents + Offline:EvalEvents of <see cref="DaemonSetup"/>: where the stream begins.</summary>
    private const long FirstStreamedEvent = 1024 + 256;

    [Fact]
    public async Task Without_bootstrap_servers_the_daemon_streams_the_synthetic_events_that_follow_its_offline_history()
    {
        using var setup = Embedded();

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await daemon.WaitUntilTrainedAsync(4 * DaemonSetup.BatchSize);
        await daemon.StopAsync();

        Assert.Equal(FirstStreamedEvent, daemon.Kafka.EmbeddedFirstEvent);
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(daemon.Current.EventsTrained, last.Counters.Other[StreamingTrainer.TrainedCounter]);
    }

    [Fact]
    public async Task After_a_restart_the_embedded_stream_goes_on_after_the_events_the_model_already_consumed()
    {
        using var setup = Embedded();
        await using (var first = await RunningDaemon.StartStreamingAsync(setup))
        {
            await first.WaitUntilTrainedAsync(4 * DaemonSetup.BatchSize);
            await first.StopAsync();
        }
        var stopped = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        long consumedBefore = stopped.Counters.Other[StreamingTrainer.ConsumedCounter];

        await using var second = await RunningDaemon.StartStreamingAsync(setup);
        Assert.Equal(FirstStreamedEvent + consumedBefore, second.Kafka.EmbeddedFirstEvent);
        await second.WaitUntilTrainedAsync(consumedBefore + 4 * DaemonSetup.BatchSize);
        await second.StopAsync();

        // The new broker's topic was read from its start, not from the old topic's offsets, and the counters go on.
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        long consumed = last.Counters.Other[StreamingTrainer.ConsumedCounter];
        Assert.Equal(consumed - consumedBefore, Checkpoints.Positions(last, setup.Topic).Values.Sum());
    }

    private DaemonSetup Embedded() =>
        new DaemonSetup(kafka)
            .With("Kafka:BootstrapServers", "")
            .With("Kafka:EmbeddedEventsPerSecond", "2000");
}
