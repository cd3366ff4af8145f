using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Tests;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class RoundTripTests
{
    private static readonly DataPositions Positions = new(
        [new FilePosition("/data/day0.tsv", 123_456, 789)],
        [new StreamPosition("clicks", 0, 5000), new StreamPosition("clicks", 1, 4200)]);

    private static async Task<RestoredCheckpoint> SaveAndRestore(TrainingSnapshot snapshot, TemporaryDirectory directory)
    {
        var manager = Checkpoints.Manager(directory.Path);
        await manager.SaveAsync(snapshot, pin: false, CancellationToken.None);
        return await Checkpoints.Manager(directory.Path).RestoreLatestAsync(CPU, accept: null, CancellationToken.None)
            ?? throw new Xunit.Sdk.XunitException("nothing restored");
    }

    private static void AssertSameTraining(DlrmTrainer expected, DlrmTrainer actual)
    {
        foreach (var ((name, a), (restoredName, b)) in expected.Model.NamedTensors().Zip(actual.Model.NamedTensors(), (x, y) => (x, y)))
        {
            Assert.Equal(name, restoredName);
            Assert.True(TensorAssert.Identical(a.detach(), b.detach()), $"{name} differs");
        }
        Assert.Equal(expected.MlpOptimizer.NamedState().Select(s => s.Name), actual.MlpOptimizer.NamedState().Select(s => s.Name));
        foreach (var ((name, a), (_, b)) in expected.MlpOptimizer.NamedState().Zip(actual.MlpOptimizer.NamedState(), (x, y) => (x, y)))
            Assert.True(TensorAssert.Identical(a, b), $"optimizer state of {name} differs");
        Assert.True(TensorAssert.Identical(expected.EmbeddingOptimizer!.Accumulator, actual.EmbeddingOptimizer!.Accumulator), "row-wise accumulator differs");
        Assert.Equal((expected.Steps, expected.Samples), (actual.Steps, actual.Samples));
    }

    [Fact]
    public async Task RestoreGivesBitIdenticalWeightsOptimizerStateCountersAndPositions()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 3);
        var snapshot = run.Snapshot() with
        {
            Positions = Positions,
            Metrics = new Dictionary<string, double> { ["logLoss"] = 0.45 },
            Counters = new Dictionary<string, long> { ["eventsConsumed"] = 48 },
        };

        using var restored = await SaveAndRestore(snapshot, directory);

        AssertSameTraining(run.Trainer, restored.Trainer);
        Assert.Equal(Positions.Files, restored.Manifest.Positions.Files);
        Assert.Equal(Positions.Kafka, restored.Manifest.Positions.Kafka);
        Assert.Equal(0.45, restored.Manifest.Metrics["logLoss"]);
        Assert.Equal(48, restored.Manifest.Counters.Other["eventsConsumed"]);
        Assert.Equal(TrainingRun.Seed, restored.Manifest.Seed);
    }

    [Fact]
    public async Task RestoreAfterAmgpPruneKeepsTheNarrowerWidthsAndTheirState()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        run.PruneHidden(run.Model.Bottom, hidden: 0, keep: 5);
        run.PruneHidden(run.Model.Top, hidden: 1, keep: 3);
        run.Train(1);

        using var restored = await SaveAndRestore(run.Snapshot() with { Stage = new CheckpointStage(TrainingStage.Offline, 2, "amgp") }, directory);

        Assert.Equal([13, 5, 4], restored.Model.Bottom.Widths);
        Assert.Equal([run.Model.Config.TopInput, 6, 3, 1], restored.Model.Top.Widths);
        Assert.Equal(restored.Model.Top.Widths, restored.Manifest.Model.CurrentWidths.Top);
        Assert.Equal(new CheckpointStage(TrainingStage.Offline, 2, "amgp"), restored.Manifest.Stage);
        AssertSameTraining(run.Trainer, restored.Trainer);
    }

    [Fact]
    public async Task TrainingOnAfterRestoreMatchesTrainingOnWithoutInterruption()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 2);
        run.PruneHidden(run.Model.Bottom, hidden: 0, keep: 6);
        using var restored = await SaveAndRestore(run.Snapshot(), directory);

        for (int step = 2; step < 5; step++)
        {
            run.Trainer.TrainStep(TrainingRun.Batch(step));
            restored.Trainer.TrainStep(TrainingRun.Batch(step));
        }

        AssertSameTraining(run.Trainer, restored.Trainer);
    }

    [Fact]
    public async Task SaveReportsTheBytesWrittenAndTheRate()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();

        var info = await Checkpoints.Manager(directory.Path).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        var folder = Path.Combine(directory.Path, info.Id);
        Assert.Equal(new[] { CheckpointFiles.Model, CheckpointFiles.Optimizer, CheckpointFiles.Description }.Sum(f => new FileInfo(Path.Combine(folder, f)).Length), info.Bytes);
        Assert.True(info.BytesPerSecond > 0);
    }

    [Fact]
    public async Task CheckpointFolderHoldsTheManifestTheTwoTensorFilesAndTheModelDescription()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();

        var info = await Checkpoints.Manager(directory.Path).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        Assert.Equal([info.Id], directory.Entries());
        Assert.Equal([CheckpointFiles.Manifest, CheckpointFiles.Description, CheckpointFiles.Model, CheckpointFiles.Optimizer],
            Directory.GetFiles(Path.Combine(directory.Path, info.Id)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ManifestTimeIsTheTimeInTheId()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = Checkpoints.Manager(directory.Path, new FixedClock(new DateTime(2026, 11, 26, 14, 0, 0, DateTimeKind.Utc).AddTicks(1_234_567)));

        await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        var status = (await manager.ListAsync(CancellationToken.None)).Single();
        Assert.Equal(status.CreatedUtc, status.Manifest!.CreatedUtc);
    }

    [Fact]
    public async Task OfflineFinalCheckpointIsPinnedAutomatically()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = Checkpoints.Manager(directory.Path);

        await manager.SaveAsync(run.Snapshot(TrainingStage.OfflineFinal), pin: false, CancellationToken.None);

        Assert.True((await manager.ListAsync(CancellationToken.None)).Single().Pinned);
    }

    [Fact]
    public async Task RestoreTakesTheNewestCheckpointTheCallerAccepts()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = Checkpoints.Manager(directory.Path);
        var final = await manager.SaveAsync(run.Snapshot(TrainingStage.OfflineFinal), pin: false, CancellationToken.None);
        run.Train(1);
        await manager.SaveAsync(run.Snapshot(TrainingStage.Streaming), pin: false, CancellationToken.None);

        using var restored = await manager.RestoreLatestAsync(CPU, m => m.Stage.Kind == TrainingStage.OfflineFinal, CancellationToken.None);

        Assert.Equal(final.Id, restored!.Manifest.Id);
    }

    [Fact]
    public async Task EmptyFolderRestoresNothing()
    {
        using var directory = new TemporaryDirectory();
        Assert.Null(await Checkpoints.Manager(directory.Path).RestoreLatestAsync(CPU, accept: null, CancellationToken.None));
    }
}
