using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Training;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class GracefulRestartTests(KafkaClusterFixture kafka)
{
    private const int Batch = DaemonSetup.BatchSize;
    private const int FirstRun = 16 * Batch + Batch / 2;
    private const int SecondRun = 15 * Batch + Batch / 2;

    /// <summary>
    /// The first run's events go to partition 0, the second run's to partition 1, so each run reads one partition
    /// and its batches are predictable: with every event already in the topic a batch fills to <see cref="Batch"/>
    /// events long before Streaming:MaxBatchWaitMilliseconds, and only the end of the data cuts one short. That lets
    /// the test retrace the training and compare the weights.
    /// </summary>
    [Fact]
    public async Task AfterAGracefulRestartTheDaemonResumesAtItsCheckpointPositionsAndTrainsEveryEventExactlyOnce()
    {
        using var setup = new DaemonSetup(kafka, partitions: 2).With("Streaming:MaxBatchWaitMilliseconds", "1000");
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);

        await topic.ProduceEventsAsync(FirstRun, partition: 0);
        await using (var first = await RunningDaemon.StartStreamingAsync(setup))
        {
            await first.WaitUntilTrainedAsync(FirstRun);
            await first.StopAsync();
        }
        var firstRun = await Checkpoints.StreamingManifestsAsync(setup);
        var stopped = firstRun[^1];
        // Partition 1, still empty, has its start (Kafka:StartFrom, resolved at assignment) in the checkpoint too.
        Assert.Equal(new Dictionary<int, long> { [0] = FirstRun, [1] = 0 }, Checkpoints.Positions(stopped, setup.Topic));

        await topic.ProduceEventsAsync(SecondRun, partition: 1);
        await using (var second = await RunningDaemon.StartAsync(setup))
        {
            await second.WaitUntilTrainedAsync(FirstRun + SecondRun);
            await second.StopAsync();
        }

        var manifests = await Checkpoints.StreamingManifestsAsync(setup);
        var secondRun = manifests.Skip(firstRun.Count).ToList();
        Assert.NotEmpty(secondRun);
        // The restart went on from the first run's positions and counters: partition 0 was not read again.
        var resumed = Checkpoints.Positions(secondRun[0], setup.Topic);
        Assert.Equal(FirstRun, resumed[0]);
        Assert.InRange(resumed[1], 1, SecondRun);
        Assert.Equal(FirstRun + resumed[1], StreamingCounters.From(secondRun[0]).Trained);

        var last = manifests[^1];
        Assert.Equal(topic.EndOffsets(), Checkpoints.Positions(last, setup.Topic));
        Assert.Equal(FirstRun + SecondRun, StreamingCounters.From(last).Consumed);
        Assert.Equal(FirstRun + SecondRun, StreamingCounters.From(last).Trained);
        // Every checkpoint of both runs: the events counted are exactly those before its positions, and the model's own
        // sample counter moved by as many since the offline phase's final model.
        var offlineFinal = (await Checkpoints.ListAsync(setup)).Single(c => c.Manifest!.Stage.Kind == TrainingStage.OfflineFinal).Manifest!;
        Assert.All(manifests, m =>
        {
            long positions = Checkpoints.Positions(m, setup.Topic).Values.Sum();
            Assert.Equal(positions, StreamingCounters.From(m).Consumed);
            Assert.Equal(positions, StreamingCounters.From(m).Trained);
            Assert.Equal(offlineFinal.Counters.Samples + positions, m.Counters.Samples);
        });

        // Per event: the final weights are those of the offline model trained once on each event, in offset
        // order, in the batches the daemon formed: full ones, and a shorter one at the end of each partition.
        var events = TopicReader.Read(kafka.Cluster.BootstrapServers, setup.Topic, FirstRun + SecondRun)
            .GroupBy(m => m.Partition.Value).OrderBy(p => p.Key)
            .SelectMany(p => p.OrderBy(m => m.Offset.Value).Select(m => m.Message.Value!).Chunk(Batch))
            .ToList();
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = setup.CheckpointDirectory });
        using var reference = (await manager.RestoreLatestAsync(CPU, m => m.Id == offlineFinal.Id, CancellationToken.None))!;
        using var daemonModel = (await manager.RestoreLatestAsync(CPU, m => m.Id == last.Id, CancellationToken.None))!;
        Retrace(reference, events);
        Assert.Equal(last.Counters.Steps, reference.Trainer.Steps);
        AssertSameTraining(reference, daemonModel);

        // The control: the same retrace with its last batch trained twice lies outside the tolerance.
        Retrace(reference, events.TakeLast(1));
        Assert.True(LargestDifference(reference, daemonModel) > SameTrainingTolerance, "a batch trained twice went unnoticed");
    }

    private static void Retrace(RestoredCheckpoint model, IEnumerable<byte[][]> batches)
    {
        var encoder = model.Model.Encoder;
        var record = new CriteoRecord();
        var e = new ClickEvent(encoder.Schema);
        var scores = new float[Batch];
        foreach (var events in batches)
        {
            var batch = new FeatureBatch(encoder.Schema, Batch);
            foreach (var line in events)
            {
                Assert.True(CriteoLineParser.TryParse(line, record, out _, out var reason), reason);
                e.SetFrom(record);
                batch.Add(e, encoder);
            }
            Assert.True(model.Trainer.TrainAndScore(batch, scores));
        }
    }

    /// <summary>
    /// Equal to within 1e-6, weights and optimizer state alike: a batch trained twice, skipped or cut differently moves
    /// them by about a learning rate (1e-3 and more; the test's control shows it). Not bit for bit: in this shared test
    /// process the daemon and the retrace occasionally differ in the last bit of a value (seen: 6e-8 in one of about
    /// five runs); the reliability suite holds the bit-identity line across processes (tests/Daemon.Tests/Reliability).
    /// </summary>
    private const double SameTrainingTolerance = 1e-6;

    private static void AssertSameTraining(RestoredCheckpoint expected, RestoredCheckpoint actual)
    {
        double difference = LargestDifference(expected, actual);
        Assert.True(difference <= SameTrainingTolerance, $"weights or optimizer state differ: max |difference| {difference}");
    }

    /// <summary>The largest difference over every weight and every optimizer state value; the names and shapes must match.</summary>
    private static double LargestDifference(RestoredCheckpoint expected, RestoredCheckpoint actual)
    {
        var expectedTensors = Training(expected).ToList();
        var actualTensors = Training(actual).ToList();
        Assert.Equal(expectedTensors.Select(t => t.Name), actualTensors.Select(t => t.Name));
        double largest = 0;
        foreach (var ((name, e), (_, a)) in expectedTensors.Zip(actualTensors))
        {
            Assert.True(e.shape.SequenceEqual(a.shape), $"{name}: shape [{string.Join(", ", a.shape)}], expected [{string.Join(", ", e.shape)}]");
            largest = Math.Max(largest, e.sub(a).abs().max().item<float>());
        }
        return largest;
    }

    private static IEnumerable<(string Name, Tensor Value)> Training(RestoredCheckpoint checkpoint) =>
        [.. checkpoint.Model.NamedTensors(), .. checkpoint.Trainer.MlpOptimizer.NamedState(), (RowWiseAdagrad.StateName, checkpoint.Trainer.EmbeddingOptimizer!.Accumulator)];
}
