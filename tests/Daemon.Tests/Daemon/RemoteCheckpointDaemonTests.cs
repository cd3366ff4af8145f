using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class RemoteCheckpointDaemonTests(KafkaClusterFixture kafka, AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task AStreamingCheckpointIsAnnouncedWithItsRemoteUriOnceCopiedAndAnEmptyVolumeResumesFromTheCopy()
    {
        using var setup = new DaemonSetup(kafka);
        var (uri, remote) = azurite.Server.NewContainer();
        var updates = kafka.NewTopic(partitions: 1);
        setup.With("Checkpoints:Remote:Kind", RemoteCheckpointOptions.AzureBlob)
            .With("Checkpoints:Remote:Uri", uri)
            .With("Checkpoints:Remote:AccountKey", StorageServer.AzuriteKey)
            .With("Kafka:ModelUpdatesTopic", updates);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);

        await using (var daemon = await RunningDaemon.StartStreamingAsync(setup))
        {
            var offline = daemon.Current.Checkpoints.LastId;
            await topic.ProduceEventsAsync(300);
            await daemon.WaitUntilTrainedAsync(300);
            var streaming = (await daemon.WaitUntilAsync(s => s.Checkpoints.LastId != offline, "a streaming checkpoint is written")).Checkpoints.LastId;

            var update = JsonDocument.Parse(Assert.Single(TopicReader.Read(kafka.Cluster.BootstrapServers, updates, 1)).Message.Value!).RootElement;
            Assert.Equal(streaming, update.GetProperty("checkpointId").GetString());
            Assert.Equal($"{uri}/{streaming}", update.GetProperty("remoteUri").GetString());
            Assert.Equal(Path.Combine(setup.CheckpointDirectory, streaming!), update.GetProperty("location").GetString());
            await daemon.StopAsync();
        }

        // The final checkpoint of the stop was copied before the daemon exited.
        using var objects = ObjectStores.Open(remote);
        using var scratch = new TemporaryDirectory();
        using var store = new RemoteCheckpointStore(objects, new CheckpointOptions { Directory = scratch.Path });
        var newest = (await store.ListWithoutHashingAsync(CancellationToken.None)).First(s => s.IsValid);
        Assert.Equal(300, Checkpoints.Positions(newest.Manifest!, setup.Topic).Values.Sum());

        Directory.Delete(setup.CheckpointDirectory, recursive: true);
        await using (var daemon = await RunningDaemon.StartStreamingAsync(setup))
        {
            Assert.Equal(newest.Id, daemon.Current.Checkpoints.LastId);
            await topic.ProduceEventsAsync(100);
            // Exactly once across the lost volume: the 300 events before it are not trained again, only the new 100.
            long expected = newest.Manifest!.Counters.Samples + 100;
            await daemon.WaitUntilAsync(s => s.Model.Samples >= expected, "the new events are trained");
            Assert.Equal(expected, daemon.Current.Model.Samples);
        }
    }
}
