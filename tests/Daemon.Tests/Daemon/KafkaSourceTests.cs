using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// Offsets mean something only in the cluster and topic they were read from. Every streaming checkpoint records both,
/// and a start against another cluster refuses its positions instead of skipping or replaying events there.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class KafkaSourceTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task PositionsFromAnotherClusterAreRefusedWithOneLineUntilResetPositionsStartsThemAfresh()
    {
        using var setup = new DaemonSetup(kafka, partitions: 1);
        using (var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic)) await topic.ProduceEventsAsync(128);
        await using (var first = await RunningDaemon.StartStreamingAsync(setup))
        {
            await first.WaitUntilTrainedAsync(128);
            await first.StopAsync();
        }
        var trained = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        var source = trained.Positions.KafkaSource!;
        Assert.Equal(setup.Topic, source.Topic);
        Assert.NotEmpty(source.ClusterId);

        // The same topic name on another cluster, as when Kafka:BootstrapServers is pointed elsewhere.
        using var other = new EmbeddedKafkaCluster();
        other.CreateTopic(setup.Topic, 1);
        using (var topic = new ClickTopic(other.BootstrapServers, setup.Topic)) await topic.ProduceEventsAsync(64);
        setup.With("Kafka:BootstrapServers", other.BootstrapServers);
        int checkpoints = (await Checkpoints.ListAsync(setup)).Count;
        try
        {
            await using var refused = await RunningDaemon.StartAsync(setup);
            var failed = await Eventually.Until(() => refused.Current, s => s.Activity.Activity == DaemonActivity.Failed || s.Reader.Partitions.Count > 0,
                "the start is refused", RunningDaemon.Describe);

            Assert.Equal(DaemonActivity.Failed, failed.Activity.Activity);
            Assert.Contains($"holds positions in topic {setup.Topic} of Kafka cluster {source.ClusterId}", failed.Activity.FailureReason);
            Assert.Contains("--Kafka:ResetPositions=true", failed.Activity.FailureReason);
            Assert.DoesNotContain('\n', failed.Activity.FailureReason!);
            Assert.Equal(2, Environment.ExitCode);
            Assert.Equal(checkpoints, (await Checkpoints.ListAsync(setup)).Count);
        }
        finally
        {
            Environment.ExitCode = 0;
        }

        setup.With("Kafka:ResetPositions", "true");
        await using (var reset = await RunningDaemon.StartStreamingAsync(setup))
        {
            await reset.WaitUntilTrainedAsync(128 + 64);
            await reset.StopAsync();
        }
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(64, Checkpoints.Positions(last, setup.Topic)[0]);
        Assert.Equal(setup.Topic, last.Positions.KafkaSource!.Topic);
        Assert.NotEqual(source.ClusterId, last.Positions.KafkaSource.ClusterId);
    }
}
