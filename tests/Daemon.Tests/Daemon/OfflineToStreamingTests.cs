using Recurring.Checkpointing;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class OfflineToStreamingTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task WithAnEmptyCheckpointFolderTheDaemonTrainsOfflinePinsTheFinalModelAndThenTrainsOnTheStream()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);

        // Offline checkpoints every 256 events (Checkpoints:EveryEvents), then the final model, pinned.
        var written = await Checkpoints.ListAsync(setup);
        Assert.Equal([TrainingStage.Offline, TrainingStage.Offline, TrainingStage.Offline, TrainingStage.Offline, TrainingStage.OfflineFinal],
            written.Select(c => c.Manifest!.Stage.Kind));
        var offline = written[^1];
        Assert.True(offline.Pinned);
        Assert.Equal(1024, offline.Manifest!.Counters.Samples);
        var status = await daemon.GetJsonAsync("/status");
        Assert.Equal("streaming", status.GetProperty("phase").GetString());
        Assert.Equal(offline.Id, status.GetProperty("checkpoints").GetProperty("lastId").GetString());

        await topic.ProduceEventsAsync(300);
        await daemon.WaitUntilTrainedAsync(300);
        // Checkpoints:EveryEvents is 256.
        var streaming = await daemon.WaitUntilAsync(s => s.Checkpoints.LastId != offline.Id, "a streaming checkpoint is written");

        var latest = (await Checkpoints.ListAsync(setup))[^1];
        Assert.Equal(streaming.Checkpoints.LastId, latest.Id);
        Assert.False(latest.Pinned);
        var manifest = latest.Manifest!;
        Assert.Equal(TrainingStage.Streaming, manifest.Stage.Kind);
        long trained = StreamingCounters.From(manifest).Trained;
        Assert.InRange(trained, 256, 300);
        Assert.Equal(offline.Manifest.Counters.Samples + trained, manifest.Counters.Samples);
        Assert.Equal(trained, Checkpoints.Positions(manifest, setup.Topic).Values.Sum());
        Assert.Equal(DaemonActivity.Streaming, daemon.Current.Activity.Activity);
    }
}
