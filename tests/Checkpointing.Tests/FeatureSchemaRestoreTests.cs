using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

/// <summary>The schema a checkpoint was trained under against the one training goes on under.</summary>
public class FeatureSchemaRestoreTests
{
    private static async Task<CheckpointManager> SavedAsync(TrainingRun run, TemporaryDirectory directory)
    {
        var manager = Checkpoints.Manager(directory.Path);
        await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        return manager;
    }

    [Fact]
    public async Task TheSchemaAndStatisticsAreStoredWithTheModel()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = await SavedAsync(run, directory);

        using var restored = (await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;

        Assert.Equal(run.Model.Config.Features, restored.Model.Config.Features);
        Assert.Equal(run.Model.Config.Features, restored.Manifest.Model.Features);
        Assert.Equal(FeatureStatistics.None, restored.Model.Statistics);
    }

    [Fact]
    public async Task AnAppendedFeatureGrowsTheRestoredModel()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = await SavedAsync(run, directory);
        var criteo = run.Model.Config.Features;
        var grown = new FeatureSchema(criteo.Label, [.. criteo.Dense, new DenseFeature("I14")], [.. criteo.Sparse, new SparseFeature("C27", 40)]);

        using var restored = (await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None, features: grown))!;

        Assert.Equal(grown, restored.Model.Config.Features);
        Assert.Equal(grown, restored.Manifest.Model.Features);
        Assert.Equal(14, restored.Model.Bottom.Widths[0]);
        Assert.Equal(run.Trainer.Steps, restored.Trainer.Steps);
        Assert.Equal(run.Model.Embeddings.TotalRows + 40, restored.Model.Embeddings.TotalRows);
    }

    [Fact]
    public async Task AChangedFeatureIsRefusedWithOneLinePerDifference()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun();
        var manager = await SavedAsync(run, directory);
        var criteo = run.Model.Config.Features;
        var changed = new FeatureSchema(criteo.Label, [criteo.Dense[0] with { Transform = DenseTransform.None }, .. criteo.Dense.Skip(1)],
            [criteo.Sparse[0] with { Rows = 99 }, .. criteo.Sparse.Skip(1).Take(24)]);

        var refusal = await Assert.ThrowsAsync<FeatureSchemaMismatchException>(() =>
            manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None, features: changed));

        Assert.Equal(
        [
            "dense feature 'I1': transform is log1p in the checkpoint, none in the configuration.",
            "sparse feature 'C1': 10 rows in the checkpoint, 99 in the configuration.",
            "sparse feature 'C26' is in the checkpoint but not in the configuration: removing a feature needs a new model.",
        ], refusal.Differences);
        Assert.Equal(refusal.Differences.Count + 1, refusal.Message.Split(Environment.NewLine).Length);
        Assert.Equal(0, manager.SkippedCheckpoints);
    }
}
