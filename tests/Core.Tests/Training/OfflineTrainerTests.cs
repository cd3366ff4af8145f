using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Growth;
using Recurring.Core.Metrics;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Training;

public class OfflineTrainerTests
{
    private static readonly DlrmConfig Small = new()
    {
        EmbeddingDim = 8,
        RowsPerTable = Enumerable.Repeat(2_000, DlrmConfig.CategoricalFeatures).ToArray(),
        BottomLayers = [13, 32, 16, 8],
        TopHidden = [32, 16],
    };

    private static readonly SyntheticClickGenerator Teacher = new(new SyntheticDataOptions { Seed = 3, CalibrationSampleSize = 5_000 });

    private static async Task<(OfflineResult Result, DlrmModel Model)> TrainAsync(long events, AmgpOptions? amgp = null)
    {
        var model = new DlrmModel(Small, CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions { MlpLearningRate = 0.01, EmbeddingLearningRate = 0.05 });
        var hashing = new FeatureHashing(Small.RowsPerTable);
        var options = new OfflineTrainingOptions { BatchSize = 256, MaxEvents = events, EvaluateEverySteps = 1_000 };
        var evaluation = EvaluationSet.Collect(new SyntheticEventSource(Teacher, events, 5_000), 5_000, hashing, 1_024);
        var growth = amgp is null ? null : new GrowthPruningController(GrowthPruningSchedule.Create(amgp, options.PlannedSteps), model, trainer.MlpOptimizer, seed: 1);
        var offline = new OfflineTrainer(trainer, hashing, options, evaluation, growth);
        var result = await offline.RunAsync(new SyntheticEventSource(Teacher, 0, events), afterStep: null, CancellationToken.None);
        return (result, model);
    }

    [Fact]
    public async Task AFewThousandSyntheticEventsTeachTheModelSomethingReal()
    {
        var (result, model) = await TrainAsync(events: 12_000);
        using var _ = model;
        var eval = result.FinalEvaluation.Model;
        Assert.True(eval.Auc > 0.62, $"eval AUC {eval.Auc:F4}");
        Assert.True(eval.LogLoss < BinaryMetrics.BinaryEntropy(eval.ClickRate), $"logloss {eval.LogLoss:F4} vs base-rate entropy {BinaryMetrics.BinaryEntropy(eval.ClickRate):F4}");
        Assert.NotNull(result.FinalEvaluation.Bayes);
    }

    [Fact]
    public async Task AmgpEndsWithTheFullSizeArchitecture()
    {
        var amgp = new AmgpOptions { WarmupSteps = 5, PrunedSteps = 10, DenseSteps = 3, FinalDenseSteps = 5, KeepFraction = 0.5 };
        var (result, model) = await TrainAsync(events: 256 * 40, amgp);
        using var _ = model;
        Assert.Equal(Small.BottomLayers, model.Bottom.Widths);
        Assert.Equal(Small.TopLayers, model.Top.Widths);
        Assert.True(result.Flops.MlpRatioToDense < 1, "pruned phases must have saved MLP FLOPs");
    }

    [Fact]
    public async Task PruneOnlyEndsSmaller()
    {
        var pruneOnly = new AmgpOptions { Mode = AmgpMode.PruneOnly, WarmupSteps = 5, KeepFraction = 0.5 };
        var (result, model) = await TrainAsync(events: 256 * 20, pruneOnly);
        using var _ = model;
        Assert.Equal(new[] { 13, 16, 8, 8 }, model.Bottom.Widths);
        using var full = new DlrmModel(Small, CPU, seed: 1);
        Assert.True(result.ParameterCount < full.ParameterCount);
    }
}
