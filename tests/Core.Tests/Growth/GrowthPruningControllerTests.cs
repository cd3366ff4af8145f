using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Growth;

public sealed class GrowthPruningControllerTests : IDisposable
{
    private static readonly DlrmConfig Small = new()
    {
        EmbeddingDim = 4,
        Features = FeatureSchema.Criteo(100),
        BottomLayers = [13, 8, 6, 4],
        TopHidden = [8, 6],
    };

    private readonly DisposeScope _scope = NewDisposeScope();
    private readonly DlrmModel _model = new(Small, CPU, seed: 1);
    private readonly MlpOptimizer _optimizer = new(MlpOptimizerKind.Adagrad, 0.01, 1e-8);

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _scope.Dispose();
    }

    /// <summary>
    /// Gives every MLP parameter a random, positive optimizer state, then runs the controller through one prune
    /// (step 1) and one growth (step 2) with no training in between. Returns each parameter and its state as they
    /// were before the prune.
    /// </summary>
    private (string Name, Tensor Weight, Tensor State)[] PruneAndRegrow(Regrowth regrowth)
    {
        using var generator = new Generator(17);
        var before = _model.Mlps.SelectMany(mlp => mlp.Parameters()).Select(p =>
        {
            _optimizer.SetState(p.Name, rand(p.Value.shape, generator: generator));
            return (p.Name, p.Value.detach().clone(), _optimizer.State(p.Name)!.clone());
        }).ToArray();
        var schedule = GrowthPruningSchedule.Create(
            new AmgpOptions { WarmupSteps = 1, PrunedSteps = 1, DenseSteps = 1, FinalDenseSteps = 1, KeepFraction = 0.5, Regrowth = regrowth }, totalSteps: 3);
        using var controller = new GrowthPruningController(schedule, _model, _optimizer, seed: 1);
        controller.BeforeStep(1);
        Assert.Equal(new[] { 4, 3 }, _model.Bottom.HiddenWidths);
        controller.BeforeStep(2);
        return before;
    }

    [Fact]
    public void RestoreRegrowthBringsBackExactlyTheMlpsThatWerePrunedWhenNothingTrainedInBetween()
    {
        var before = PruneAndRegrow(Regrowth.Restore);

        var after = _model.Mlps.SelectMany(mlp => mlp.Parameters()).ToDictionary(p => p.Name, p => p.Value);
        foreach (var (name, weight, state) in before)
        {
            Assert.True(TensorAssert.Identical(after[name], weight), name);
            Assert.True(TensorAssert.Identical(_optimizer.State(name)!, state), name);
        }
    }

    [Fact]
    public void FreshRegrowthReplacesTheRemovedNeuronsWithNewOnes()
    {
        var before = PruneAndRegrow(Regrowth.Fresh);

        Assert.Equal(Small.BottomLayers, _model.Bottom.Widths);
        Assert.False(TensorAssert.Identical(_model.Bottom.Weight(1), before.Single(p => p.Name == "bottom.1.weight").Weight));
    }

    [Fact]
    public void RegenerationRenewsTheLeastImportantKeptNeuronsAlongWithTheRemovedOnes()
    {
        var schedule = GrowthPruningSchedule.Create(
            new AmgpOptions { WarmupSteps = 1, PrunedSteps = 1, DenseSteps = 1, FinalDenseSteps = 1, KeepFraction = 0.5, RegenerateFraction = 0.5, RegrownOutgoingScale = 0 }, totalSteps: 3);
        using var controller = new GrowthPruningController(schedule, _model, _optimizer, seed: 1);
        controller.BeforeStep(1);
        var strongest = _model.Bottom.Weight(0).index_select(0, NeuronImportance.MostImportant(_model.Bottom, 0, 2)).detach().clone();

        controller.BeforeStep(2);

        Assert.Equal(Small.BottomLayers, _model.Bottom.Widths);
        Assert.True(TensorAssert.Identical(_model.Bottom.Weight(0).narrow(0, 0, 2), strongest));
        // The two surviving neurons of the second hidden layer see nothing yet from the six fresh ones before them.
        Assert.Equal(0, _model.Bottom.Weight(1).narrow(0, 0, 2).narrow(1, 2, 6).abs().sum().item<float>());
    }

    [Fact]
    public void ThePrunedLearningRateScaleHoldsExactlyWhileTheMlpsArePruned()
    {
        var schedule = GrowthPruningSchedule.Create(
            new AmgpOptions { WarmupSteps = 1, PrunedSteps = 1, DenseSteps = 1, FinalDenseSteps = 1, KeepFraction = 0.5, PrunedLearningRateScale = 4 }, totalSteps: 3);
        using var controller = new GrowthPruningController(schedule, _model, _optimizer, seed: 1);

        var scales = Enumerable.Range(0, 3).Select(step =>
        {
            controller.BeforeStep(step);
            return controller.LearningRateScale;
        }).ToArray();

        Assert.Equal(new[] { 1.0, 4.0, 1.0 }, scales);
    }

    [Fact]
    public void AControllerResumedInThePrunedPhaseStepsAtThePrunedLearningRate()
    {
        var options = new AmgpOptions { WarmupSteps = 1, PrunedSteps = 2, DenseSteps = 1, FinalDenseSteps = 1, KeepFraction = 0.5, PrunedLearningRateScale = 4 };
        using (var first = new GrowthPruningController(GrowthPruningSchedule.Create(options, totalSteps: 4), _model, _optimizer, seed: 1))
            first.BeforeStep(1);
        using var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);

        using var resumed = new GrowthPruningController(GrowthPruningSchedule.Create(options, totalSteps: 4), _model, optimizer, seed: 1);

        Assert.Equal(4.0, resumed.LearningRateScale);
    }

    /// <summary>One cycle over six steps: warm-up 0, pruned 1, final dense 2 to 5, regrown neurons warming up over 4 steps.</summary>
    private static GrowthPruningSchedule WarmupSchedule(Regrowth regrowth = Regrowth.Fresh) => GrowthPruningSchedule.Create(
        new AmgpOptions { WarmupSteps = 1, PrunedSteps = 1, FinalDenseSteps = 4, KeepFraction = 0.5, RegrownWarmupFraction = 0.66, Regrowth = regrowth }, totalSteps: 6);

    [Fact]
    public void FreshRegrownNeuronsStepAtARisingFractionUntilTheirWarmupEnds()
    {
        using var controller = new GrowthPruningController(WarmupSchedule(), _model, _optimizer, seed: 1);
        controller.BeforeStep(0);
        controller.BeforeStep(1);

        var factors = Enumerable.Range(2, 4).Select(step =>
        {
            controller.BeforeStep(step);
            return _optimizer.StepFactor("bottom.1.weight")?.detach().clone();
        }).ToArray();

        // bottom.1.weight is [6, 8]: rows 3 to 5 are the second hidden layer's regrown neurons, columns 4 to 7 the first's.
        Assert.Equal(new[] { 0.25f, 0.5f, 0.75f }, factors[..3].Select(f => f![0, 7].item<float>()));
        Assert.Equal(new[] { 0.25f, 0.5f, 0.75f }, factors[..3].Select(f => f![5, 0].item<float>()));
        Assert.Equal(new[] { 0.25f, 0.5f, 0.75f }, factors[..3].Select(f => f![5, 7].item<float>()));
        Assert.All(factors[..3], f => Assert.Equal(1f, f!.narrow(0, 0, 3).narrow(1, 0, 4).min().item<float>()));
        Assert.Null(factors[3]);
    }

    [Fact]
    public void AControllerResumedDuringTheWarmupSetsTheUninterruptedOnesStepFactors()
    {
        using (var first = new GrowthPruningController(WarmupSchedule(), _model, _optimizer, seed: 1))
            foreach (var step in new[] { 0, 1, 2, 3 }) first.BeforeStep(step);
        var uninterrupted = _model.Mlps.SelectMany(mlp => mlp.Parameters()).ToDictionary(p => p.Name, p => _optimizer.StepFactor(p.Name)?.detach().clone());
        using var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);

        using var resumed = new GrowthPruningController(WarmupSchedule(), _model, optimizer, seed: 1);
        resumed.BeforeStep(3);

        Assert.Contains(uninterrupted.Values, factor => factor is not null);
        foreach (var (name, factor) in uninterrupted)
            Assert.True(factor is null ? optimizer.StepFactor(name) is null : TensorAssert.Identical(optimizer.StepFactor(name)!, factor), name);
    }

    [Fact]
    public void RestoredNeuronsDoNotWarmUp()
    {
        using var controller = new GrowthPruningController(WarmupSchedule(Regrowth.Restore), _model, _optimizer, seed: 1);
        foreach (var step in new[] { 0, 1, 2 }) controller.BeforeStep(step);

        Assert.All(_model.Mlps.SelectMany(mlp => mlp.Parameters()), p => Assert.Null(_optimizer.StepFactor(p.Name)));
    }
}
