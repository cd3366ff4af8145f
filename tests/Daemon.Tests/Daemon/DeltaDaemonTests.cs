using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Daemon.Tests.Kafka;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class DeltaDaemonTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task WithDeltasTheDaemonWritesAChainAfterTheOfflineModelAndAnnouncesEachDelta()
    {
        using var setup = new DaemonSetup(kafka);
        var updates = kafka.NewTopic(partitions: 1);
        // Checkpoints only at stop, so every delta follows the offline model.
        setup.With("Checkpoints:Deltas", "true").With("Checkpoints:DeltaEverySeconds", "1").With("Checkpoints:EveryEvents", "1000000")
            .With("Kafka:ModelUpdatesTopic", updates);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);

        string offline;
        await using (var daemon = await RunningDaemon.StartStreamingAsync(setup))
        {
            offline = daemon.Current.Checkpoints.LastId!;
            for (int wave = 1; wave <= 2; wave++)
            {
                await topic.ProduceEventsAsync(200);
                await daemon.WaitUntilTrainedAsync(200 * wave);
                await Eventually.Until(() => Deltas(setup).Length, count => count >= wave, $"delta {wave} is written", count => $"{count} deltas");
            }
            await daemon.StopAsync();
        }

        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = setup.CheckpointDirectory });
        var chain = await manager.ListDeltasAsync(offline, CancellationToken.None);
        var streaming = await Checkpoints.StreamingManifestsAsync(setup);
        var announced = TopicReader.Read(kafka.Cluster.BootstrapServers, updates, chain.Count + streaming.Count)
            .Select(m => JsonDocument.Parse(m.Message.Value!).RootElement).ToList();
        var deltas = announced.Where(u => u.GetProperty("kind").GetString() == "delta").ToList();
        Assert.Equal(Deltas(setup).Length, chain.Count);
        Assert.Equal(chain.Select(d => d.Id), deltas.Select(u => u.GetProperty("checkpointId").GetString()));
        Assert.All(deltas, u => Assert.Equal(offline, u.GetProperty("baseCheckpointId").GetString()));
        Assert.Equal([offline, .. chain.SkipLast(1).Select(d => d.Id)], deltas.Select(u => u.GetProperty("previousId").GetString()));
        Assert.Equal(Path.Combine(setup.CheckpointDirectory, chain[0].Id), deltas[0].GetProperty("location").GetString());
        Assert.Equal(streaming.Select(m => m.Id), announced.Where(u => u.GetProperty("kind").GetString() == "checkpoint").Select(u => u.GetProperty("checkpointId").GetString()));
        var (applied, _) = await manager.RestoreWithDeltasAsync(offline, throughId: null, CPU, CancellationToken.None);
        using (applied) Assert.Equal(chain[^1].Counters.Samples, applied.Trainer.Samples);
    }

    private static string[] Deltas(DaemonSetup setup) => Directory.GetDirectories(setup.CheckpointDirectory, DeltaId.Prefix + "*");
}
