using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Growth;

public class GrowthPruningControllerTests
{
    private static readonly DlrmConfig Small = new()
    {
        EmbeddingDim = 4,
        Features = FeatureSchema.Criteo(100),
        BottomLayers = [13, 8, 6, 4],
        TopHidden = [8, 6],
    };

    /// <summary>Step 0 warm-up, step 1 pruned, step 2 full width again.</summary>
    private static GrowthPruningSchedule OneCycle(Regrowth regrowth) =>
        GrowthPruningSchedule.Create(new AmgpOptions { WarmupSteps = 1, PrunedSteps = 1, DenseSteps = 1, FinalDenseSteps = 1, KeepFraction = 0.5, Regrowth = regrowth }, totalSteps: 3);

    /// <summary>Every MLP parameter and its (random, positive) optimizer state, copied.</summary>
    private static (string Name, Tensor Weight, Tensor State)[] GiveStateAndCopy(DlrmModel model, MlpOptimizer optimizer)
    {
        using var generator = new Generator(17);
        return model.Mlps.SelectMany(mlp => mlp.Parameters()).Select(p =>
        {
            optimizer.SetState(p.Name, rand(p.Value.shape, generator: generator));
            return (p.Name, p.Value.detach().clone(), optimizer.State(p.Name)!.clone());
        }).ToArray();
    }

    [Fact]
    public void RestoreRegrowthBringsBackExactlyTheMlpsThatWerePrunedWhenNothingTrainedInBetween()
    {
        using var model = new DlrmModel(Small, CPU, seed: 1);
        using var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);
        using var scope = NewDisposeScope();
        var before = GiveStateAndCopy(model, optimizer);
        using var controller = new GrowthPruningController(OneCycle(Regrowth.Restore), model, optimizer, seed: 1);

        controller.BeforeStep(1);
        Assert.Equal(new[] { 4, 3 }, model.Bottom.HiddenWidths);
        controller.BeforeStep(2);

        var after = model.Mlps.SelectMany(mlp => mlp.Parameters()).ToDictionary(p => p.Name, p => p.Value);
        foreach (var (name, weight, state) in before)
        {
            Assert.True(TensorAssert.Identical(after[name], weight), name);
            Assert.True(TensorAssert.Identical(optimizer.State(name)!, state), name);
        }
    }

    [Fact]
    public void FreshRegrowthReplacesTheRemovedNeuronsWithNewOnes()
    {
        using var model = new DlrmModel(Small, CPU, seed: 1);
        using var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);
        using var scope = NewDisposeScope();
        var before = GiveStateAndCopy(model, optimizer);
        using var controller = new GrowthPruningController(OneCycle(Regrowth.Fresh), model, optimizer, seed: 1);

        controller.BeforeStep(1);
        controller.BeforeStep(2);

        Assert.Equal(Small.BottomLayers, model.Bottom.Widths);
        Assert.False(TensorAssert.Identical(model.Bottom.Weight(1), before.Single(p => p.Name == "bottom.1.weight").Weight));
    }
}
