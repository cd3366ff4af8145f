using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Tests.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Training;

public class DlrmTrainerTests
{
    private static FeatureBatch BatchUsingRowsBelow(int maxRow, int count, int seed)
    {
        var random = new Random(seed);
        var batch = new FeatureBatch(count);
        var dense = new float[13];
        var rows = new long[26];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < dense.Length; j++) dense[j] = (float)random.NextDouble();
            for (int t = 0; t < rows.Length; t++) rows[t] = random.Next(maxRow);
            batch.Add(dense, rows, random.Next(4) == 0);
        }
        return batch;
    }

    [Fact]
    public void RowWiseStepLeavesRowsAbsentFromTheBatchBitIdentical()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        using var before = model.Embeddings.Weight.clone();

        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 3, count: 16, seed: 2));

        using var scope = NewDisposeScope();
        var touched = zeros(model.Embeddings.TotalRows, dtype: ScalarType.Bool);
        var offsets = model.Embeddings.Offsets;
        for (int t = 0; t < 26; t++)
            for (int r = 0; r < 3; r++) touched[offsets[t] + r] = true;
        var untouched = touched.logical_not();
        Assert.True(TensorAssert.Identical(model.Embeddings.Weight[untouched], before[untouched]));
        Assert.False(TensorAssert.Identical(model.Embeddings.Weight[touched], before[touched]));
    }

    [Fact]
    public void StepWithNonFiniteInputIsSkippedExactlyAndCounted()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var snapshot = model.NamedTensors().Select(p => (p.Name, Value: p.Value.detach().clone())).ToList();
        var poisoned = BatchUsingRowsBelow(maxRow: 5, count: 8, seed: 3);
        poisoned.Dense[4] = float.NaN;

        trainer.TrainStep(poisoned);

        Assert.Equal(1, trainer.ReadTotals().SkippedSteps);
        foreach (var ((name, now), (_, then)) in model.NamedTensors().Zip(snapshot))
            Assert.True(TensorAssert.Identical(now, then), $"{name} changed");
        foreach (var (name, state) in trainer.MlpOptimizer.NamedState())
            Assert.True(state.count_nonzero().item<long>() == 0, $"{name} state changed");
    }

    [Fact]
    public void RepeatedStepsOnOneBatchLowerItsLoss()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var batch = BatchUsingRowsBelow(maxRow: 8, count: 64, seed: 4);
        trainer.TrainStep(batch);
        double first = trainer.ReadTotals().MeanLoss;
        for (int i = 0; i < 30; i++) trainer.TrainStep(batch);
        trainer.ResetLossWindow();
        trainer.TrainStep(batch);
        Assert.True(trainer.ReadTotals().MeanLoss < first * 0.8, $"loss {first} did not fall");
    }

    [Fact]
    public void DenseAdagradReferenceTrainsTheWholeTable()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions { EmbeddingUpdate = EmbeddingUpdateKind.DenseAdagrad });
        using var before = model.Embeddings.Weight.detach().clone();
        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 3, count: 16, seed: 2));
        Assert.False(TensorAssert.Identical(model.Embeddings.Weight.detach(), before));
        Assert.Equal(0, trainer.ReadTotals().SkippedSteps);
    }

    private static List<Tensor> TrainTwentySteps()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        for (int step = 0; step < 20; step++) trainer.TrainStep(BatchUsingRowsBelow(maxRow: 9, count: 32, seed: step));
        return model.NamedTensors().Select(p => p.Value.detach().clone()).ToList();
    }

    [Fact]
    public async Task ConcurrentGarbageCollectionDoesNotChangeTraining()
    {
        // TorchSharp hands native handles of temporary Scalars to libtorch without keeping them alive; a
        // finalizer running mid-call corrupts the value. The trainer must hold every Scalar it uses.
        var undisturbed = TrainTwentySteps();
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        var disturbed = TrainTwentySteps();
        stop.Cancel();
        await collector;

        Assert.All(undisturbed.Zip(disturbed), pair => Assert.True(TensorAssert.Identical(pair.First, pair.Second)));
    }

    [Fact]
    public void TrainAndScoreReturnsThePredictionsMadeBeforeTheUpdate()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var batch = BatchUsingRowsBelow(maxRow: 6, count: 16, seed: 5);
        var before = trainer.Predict(batch);
        var scores = new float[batch.Count];

        Assert.True(trainer.TrainAndScore(batch, scores));

        for (int i = 0; i < scores.Length; i++) Assert.Equal(before[i], scores[i], 1e-6f);
        Assert.NotEqual(before, trainer.Predict(batch));
    }

    [Fact]
    public void TrainAndScoreReportsASkippedStep()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var poisoned = BatchUsingRowsBelow(maxRow: 6, count: 8, seed: 6);
        poisoned.Dense[0] = float.PositiveInfinity;
        Assert.False(trainer.TrainAndScore(poisoned, new float[8]));
    }
}
