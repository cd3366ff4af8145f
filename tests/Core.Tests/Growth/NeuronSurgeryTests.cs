using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Growth;

public class NeuronSurgeryTests
{
    private static Mlp SmallMlp() => new("top", [3, 4, 2], reluOnOutput: false, CPU, new Generator(5));

    /// <summary>Trains a few Adagrad steps so every parameter has non-zero optimizer state.</summary>
    private static MlpOptimizer TrainedOptimizer(Mlp mlp)
    {
        var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);
        using var scope = NewDisposeScope();
        using var apply = tensor(true);
        for (int i = 0; i < 3; i++)
        {
            mlp.Forward(randn(6, 3, generator: new Generator((ulong)i))).pow(HeldScalars.Two).sum().backward();
            optimizer.Step(mlp.Parameters(), apply);
            foreach (var (_, p) in mlp.Parameters()) p.grad = null;
        }
        return optimizer;
    }

    [Fact]
    public void GrowthWithZeroOutgoingScaleLeavesTheFunctionUnchanged()
    {
        using var mlp = SmallMlp();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        surgery.Prune(mlp, 0, tensor(new long[] { 1, 3 }));
        var input = randn(10, 3, generator: new Generator(9));
        var before = mlp.Forward(input).detach();

        surgery.Grow(mlp, 0, 4, new Generator(11), initScale: 1.0, outgoingScale: 0);

        Assert.Equal(new[] { 3, 4, 2 }, mlp.Widths);
        Assert.True(mlp.Forward(input).allclose(before, rtol: 1e-6, atol: 1e-7));
    }

    [Fact]
    public void GrowthWithZeroOutgoingScaleKeepsTrainedNeuronsAndGivesNewOnesIncomingWeightsOnly()
    {
        using var mlp = SmallMlp();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        surgery.Prune(mlp, 0, tensor(new long[] { 0, 2 }));
        var keptIncoming = mlp.Weight(0).detach().clone();

        surgery.Grow(mlp, 0, 4, new Generator(11), initScale: 1.0, outgoingScale: 0);

        Assert.True(TensorAssert.Identical(mlp.Weight(0).narrow(0, 0, 2), keptIncoming));
        Assert.True(mlp.Weight(0).narrow(0, 2, 2).abs().sum().item<float>() > 0);
        Assert.Equal(0, mlp.Weight(1).narrow(1, 2, 2).count_nonzero().item<long>());
    }

    [Fact]
    public void PruningRemovesTheLeastImportantNeurons()
    {
        using var mlp = new Mlp("bottom", [2, 3, 1], reluOnOutput: true, CPU);
        using var scope = NewDisposeScope();
        // Neuron importances (in-norm x out-norm): 0 -> 1x1 = 1, 1 -> 2x3 = 6, 2 -> 5x0.1 = 0.5.
        mlp.SetLayer(0, tensor(new float[] { 1, 0, 0, 2, 3, 4 }, [3, 2]), tensor(new float[] { 0, 0, 0 }));
        mlp.SetLayer(1, tensor(new float[] { 1, 3, 0.1f }, [1, 3]), tensor(new float[] { 0 }));
        using var optimizer = new MlpOptimizer(MlpOptimizerKind.Adagrad, 0.01, 1e-8);

        var keep = NeuronImportance.MostImportant(mlp, 0, 2);
        new NeuronSurgery(optimizer).Prune(mlp, 0, keep);

        Assert.Equal(new long[] { 0, 1 }, keep.data<long>().ToArray());
        Assert.Equal(new float[] { 1, 3 }, mlp.Weight(1).data<float>().ToArray());
    }

    /// <summary>The outgoing weights (columns of layer 1) that growing hidden layer 0 from 2 to 4 neurons gives the new ones.</summary>
    private static Tensor RegrownOutgoing(double outgoingScale)
    {
        using var mlp = SmallMlp();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        surgery.Prune(mlp, 0, tensor(new long[] { 0, 2 }));
        var keptOutgoing = mlp.Weight(1).detach().clone();
        surgery.Grow(mlp, 0, 4, new Generator(11), initScale: 1.0, outgoingScale);
        Assert.True(TensorAssert.Identical(mlp.Weight(1).narrow(1, 0, 2), keptOutgoing));
        return mlp.Weight(1).narrow(1, 2, 2).detach().clone();
    }

    [Fact]
    public void RegrownNeuronsGetRandomOutgoingWeightsInProportionToTheOutgoingScale()
    {
        using var scope = NewDisposeScope();
        var single = RegrownOutgoing(1.0);
        var triple = RegrownOutgoing(3.0);

        Assert.Equal(4, single.count_nonzero().item<long>());
        Assert.True(triple.allclose(single.mul(3.0), rtol: 1e-6, atol: 0));
    }

    [Fact]
    public void OptimizerStateFollowsTheWeightsThroughPruneAndGrow()
    {
        using var mlp = SmallMlp();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        var incomingState = optimizer.State("top.0.weight")!.clone();
        var biasState = optimizer.State("top.0.bias")!.clone();
        var outgoingState = optimizer.State("top.1.weight")!.clone();
        var keep = tensor(new long[] { 1, 3 });

        surgery.Prune(mlp, 0, keep);
        Assert.True(TensorAssert.Identical(optimizer.State("top.0.weight")!, incomingState.index_select(0, keep)));
        Assert.True(TensorAssert.Identical(optimizer.State("top.0.bias")!, biasState.index_select(0, keep)));
        Assert.True(TensorAssert.Identical(optimizer.State("top.1.weight")!, outgoingState.index_select(1, keep)));

        surgery.Grow(mlp, 0, 4, new Generator(3), initScale: 1.0, outgoingScale: 0);
        foreach (var (name, parameter) in mlp.Parameters())
            Assert.Equal(parameter.shape, optimizer.State(name)!.shape);
        Assert.True(TensorAssert.Identical(optimizer.State("top.0.weight")!.narrow(0, 0, 2), incomingState.index_select(0, keep)));
        Assert.Equal(0, optimizer.State("top.0.weight")!.narrow(0, 2, 2).count_nonzero().item<long>());
        Assert.Equal(0, optimizer.State("top.1.weight")!.narrow(1, 2, 2).count_nonzero().item<long>());
    }

    [Fact]
    public void RegrownNeuronsCanStartFromTheKeptNeuronsMeanOptimizerState()
    {
        using var mlp = SmallMlp();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        surgery.Prune(mlp, 0, tensor(new long[] { 1, 3 }));
        var incoming = optimizer.State("top.0.weight")!.clone();
        var bias = optimizer.State("top.0.bias")!.clone();
        var outgoing = optimizer.State("top.1.weight")!.clone();

        surgery.Grow(mlp, 0, 4, new Generator(3), initScale: 1.0, outgoingScale: 0, RegrownOptimizerState.KeptMean);

        // Incoming rows: the kept rows' mean per input column; bias: their mean; outgoing columns: the kept columns' mean per output row.
        Assert.True(TensorAssert.Identical(optimizer.State("top.0.weight")!.narrow(0, 2, 2), incoming.mean([0], keepdim: true).expand(2, 3)));
        Assert.True(TensorAssert.Identical(optimizer.State("top.0.bias")!.narrow(0, 2, 2), bias.mean([0], keepdim: true).expand(2)));
        Assert.True(TensorAssert.Identical(optimizer.State("top.1.weight")!.narrow(1, 2, 2), outgoing.mean([1], keepdim: true).expand(2, 2)));
        Assert.True(optimizer.State("top.0.weight")!.narrow(0, 2, 2).min().item<float>() > 0);
    }

    private static Mlp TwoHiddenLayers() => new("bottom", [3, 4, 5, 2], reluOnOutput: true, CPU, new Generator(7));

    private static (string Name, Tensor Value)[] Copy(IEnumerable<(string Name, Tensor Value)> tensors) =>
        tensors.Select(t => (t.Name, t.Value.detach().clone())).ToArray();

    private static readonly long[] KeptFirst = [1, 3], KeptSecond = [0, 2, 4];

    /// <summary>Prunes hidden layer 0 to <see cref="KeptFirst"/> and hidden layer 1 to <see cref="KeptSecond"/>, recording both in the snapshot.</summary>
    private static void PruneBoth(NeuronSurgery surgery, Mlp mlp, FullWidthSnapshot snapshot)
    {
        foreach (var (hidden, kept) in new[] { (0, KeptFirst), (1, KeptSecond) })
        {
            var keep = tensor(kept);
            snapshot.RecordKept(hidden, keep);
            surgery.Prune(mlp, hidden, keep);
        }
    }

    [Fact]
    public void RestoringRightAfterAPruneGivesBackTheUnprunedMlpAndItsOptimizerState()
    {
        using var mlp = TwoHiddenLayers();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        var weights = Copy(mlp.Parameters());
        var state = Copy(optimizer.NamedState());
        using var snapshot = surgery.Snapshot(mlp);
        PruneBoth(surgery, mlp, snapshot);

        surgery.Restore(mlp, snapshot);

        Assert.Equal(new[] { 3, 4, 5, 2 }, mlp.Widths);
        foreach (var ((name, before), (_, after)) in weights.Zip(mlp.Parameters()))
            Assert.True(TensorAssert.Identical(after, before), name);
        foreach (var (name, before) in state)
            Assert.True(TensorAssert.Identical(optimizer.State(name)!, before), name);
    }

    [Fact]
    public void RestoringKeepsWhatTheKeptNeuronsLearntAndPutsTheRemovedOnesBackAsTheyWere()
    {
        using var mlp = TwoHiddenLayers();
        using var optimizer = TrainedOptimizer(mlp);
        var surgery = new NeuronSurgery(optimizer);
        using var scope = NewDisposeScope();
        var before = mlp.Weight(1).detach().clone();
        var stateBefore = optimizer.State("bottom.1.weight")!.clone();
        using var snapshot = surgery.Snapshot(mlp);
        PruneBoth(surgery, mlp, snapshot);
        using (var step = NewDisposeScope())
        {
            mlp.Forward(randn(6, 3, generator: new Generator(21))).pow(HeldScalars.Two).sum().backward();
            using var apply = tensor(true);
            optimizer.Step(mlp.Parameters(), apply);
        }
        var learnt = mlp.Weight(1).detach().clone();
        var learntState = optimizer.State("bottom.1.weight")!.clone();

        surgery.Restore(mlp, snapshot);

        // Layer 1 maps hidden 0 (columns) to hidden 1 (rows): kept x kept entries as learnt, every other entry as before the prune.
        var rows = tensor(KeptSecond);
        var columns = tensor(KeptFirst);
        var restored = mlp.Weight(1);
        Assert.Equal(new long[] { 5, 4 }, restored.shape);
        Assert.True(TensorAssert.Identical(restored.index_select(0, rows).index_select(1, columns), learnt));
        Assert.True(TensorAssert.Identical(optimizer.State("bottom.1.weight")!.index_select(0, rows).index_select(1, columns), learntState));
        var touchesRemoved = ones(5, 4, dtype: ScalarType.Bool);
        touchesRemoved.index_put_(false, rows.unsqueeze(1), columns.unsqueeze(0));
        Assert.True(TensorAssert.Identical(restored.detach().masked_select(touchesRemoved), before.masked_select(touchesRemoved)));
        Assert.True(TensorAssert.Identical(optimizer.State("bottom.1.weight")!.masked_select(touchesRemoved), stateBefore.masked_select(touchesRemoved)));
        Assert.False(TensorAssert.Identical(learnt, before.index_select(0, rows).index_select(1, columns)), "the step must have moved the kept weights");
    }
}
