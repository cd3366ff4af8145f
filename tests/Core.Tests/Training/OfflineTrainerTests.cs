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
        Features = FeatureSchema.Criteo(2_000),
        BottomLayers = [13, 32, 16, 8],
        TopHidden = [32, 16],
    };

    private static readonly SyntheticClickGenerator Teacher = new(new SyntheticDataOptions { Seed = 3, CalibrationSampleSize = 5_000 });

    private static async Task<(OfflineResult Result, DlrmModel Model)> TrainAsync(long events, AmgpOptions? amgp = null,
        TimeSpan? reportEvery = null, Action<OfflineAdvance>? advanced = null, MlpRateBoost? rateBoost = null, Action<double>? stepScale = null,
        Action<DlrmTrainer>? stepped = null, Action<DlrmTrainer>? finished = null)
    {
        var model = new DlrmModel(Small, CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions { MlpLearningRate = 0.01, EmbeddingLearningRate = 0.05 });
        var options = new OfflineTrainingOptions
        {
            BatchSize = 256, MaxEvents = events, EvaluateEverySteps = 1_000, ReportEvery = reportEvery ?? TimeSpan.FromSeconds(2),
            MlpRateBoost = rateBoost ?? new MlpRateBoost(),
        };
        var evaluation = EvaluationSet.Collect(new SyntheticEventSource(Teacher, events, 5_000), 5_000, model.Encoder, 1_024);
        var growth = amgp is null ? null : new GrowthPruningController(GrowthPruningSchedule.Create(amgp, options.PlannedSteps), model, trainer.MlpOptimizer, seed: 1);
        var offline = new OfflineTrainer(trainer, options, evaluation, growth);
        if (advanced is not null) offline.Advanced += advanced;
        if (stepScale is not null) offline.StepTrained += _ => stepScale(trainer.MlpOptimizer.LearningRateScale);
        if (stepped is not null) offline.StepTrained += _ => stepped(trainer);
        var result = await offline.RunAsync(new SyntheticEventSource(Teacher, 0, events), afterStep: null, CancellationToken.None);
        finished?.Invoke(trainer);
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

    [Theory]
    [InlineData(ImportanceCriterion.WeightNorm)]
    [InlineData(ImportanceCriterion.Taylor)]
    [InlineData(ImportanceCriterion.ActivationVariance)]
    public async Task AmgpEndsWithTheFullSizeArchitecture(ImportanceCriterion importance)
    {
        var amgp = new AmgpOptions { WarmupSteps = 5, PrunedSteps = 10, DenseSteps = 3, FinalDenseSteps = 5, KeepFraction = 0.5, Importance = importance, ImportanceSteps = 3 };
        var (result, model) = await TrainAsync(events: 256 * 40, amgp);
        using var _ = model;
        Assert.Equal(Small.BottomLayers, model.Bottom.Widths);
        Assert.Equal(Small.TopLayers, model.Top.Widths);
        Assert.True(result.Flops.MlpRatioToDense < 1, "pruned phases must have saved MLP FLOPs");
    }

    [Fact]
    public async Task EachStepsMlpRateIsTheBoostAtThatStepTimesThePrunedScale()
    {
        // 10 steps: boosted (x3) from step 2 to 5, pruned (x2) from step 3 to 6.
        var amgp = new AmgpOptions { WarmupSteps = 3, PrunedSteps = 4, DenseSteps = 1, FinalDenseSteps = 3, KeepFraction = 0.5, PrunedLearningRateScale = 2 };
        var boost = new MlpRateBoost { Factor = 3, FromFraction = 0.2, UntilFraction = 0.6, MinimumRunSteps = 10 };
        var scales = new List<double>();

        var (_, model) = await TrainAsync(events: 256 * 10, amgp, rateBoost: boost, stepScale: scales.Add);
        model.Dispose();

        Assert.Equal(new[] { 1.0, 1, 3, 6, 6, 6, 2, 1, 1, 1 }, scales);
    }

    [Fact]
    public async Task ARunThatEndsWhileRegrownNeuronsWarmUpLeavesNoStepFactorsForTheStagesAfterIt()
    {
        // 10 steps: pruned from step 3 to 6, regrown at step 7 with a warm-up of 9 steps that the run cuts short.
        var amgp = new AmgpOptions { WarmupSteps = 3, PrunedSteps = 4, FinalDenseSteps = 3, KeepFraction = 0.5, RegrownWarmupFraction = 0.9 };
        static int Factored(DlrmTrainer trainer) =>
            trainer.Model.Mlps.SelectMany(mlp => mlp.Parameters()).Count(p => trainer.MlpOptimizer.StepFactor(p.Name) is not null);
        var duringLastStep = -1;
        var afterRun = -1;

        var (_, model) = await TrainAsync(events: 256 * 10, amgp, stepped: trainer => duringLastStep = Factored(trainer), finished: trainer => afterRun = Factored(trainer));
        model.Dispose();

        Assert.True(duringLastStep > 0, "the last step should still be warming up");
        Assert.Equal(0, afterRun);
    }

    [Fact]
    public async Task ARunEndingInsideTheRateBoostLeavesTheMlpAtTheConfiguredRate()
    {
        var boost = new MlpRateBoost { Factor = 3, FromFraction = 0.2, UntilFraction = 1, MinimumRunSteps = 0 };
        double lastStep = 0, afterRun = 0;

        var (_, model) = await TrainAsync(events: 256 * 10, rateBoost: boost,
            stepped: trainer => lastStep = trainer.MlpOptimizer.LearningRateScale, finished: trainer => afterRun = trainer.MlpOptimizer.LearningRateScale);
        model.Dispose();

        Assert.Equal(3, lastStep);
        Assert.Equal(1, afterRun);
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

    [Fact]
    public async Task ProgressReportsSamplesAndRateBetweenEvaluations()
    {
        var reports = new List<OfflineAdvance>();
        // 20 steps and a single evaluation (at the end): every step reports when ReportEvery is zero.
        var (_, model) = await TrainAsync(events: 256 * 20, reportEvery: TimeSpan.Zero, advanced: reports.Add);
        using var _ = model;

        Assert.Equal(Enumerable.Range(1, 20).Select(step => 256L * step), reports.Select(r => r.Samples));
        Assert.All(reports, r => Assert.Equal(256L * 20, r.PlannedSamples));
        Assert.All(reports, r => Assert.True(r.SamplesPerSecond > 0, $"rate {r.SamplesPerSecond} at step {r.Step}"));
    }

    [Fact]
    public async Task TheEtaIsWhatIsLeftAtTheCurrentRate()
    {
        var reports = new List<OfflineAdvance>();
        var (_, model) = await TrainAsync(events: 256 * 8, reportEvery: TimeSpan.Zero, advanced: reports.Add);
        using var _ = model;

        var halfway = reports[3];
        Assert.Equal(256.0 * 4 / halfway.SamplesPerSecond, halfway.Eta!.Value.TotalSeconds, 3);
        Assert.Equal(TimeSpan.Zero, reports[^1].Eta);
    }

    [Fact]
    public async Task ProgressIsNotReportedMoreOftenThanAsked()
    {
        var reports = new List<OfflineAdvance>();
        var (_, model) = await TrainAsync(events: 256 * 10, reportEvery: TimeSpan.FromHours(1), advanced: reports.Add);
        using var _ = model;

        Assert.Empty(reports);
    }
}
