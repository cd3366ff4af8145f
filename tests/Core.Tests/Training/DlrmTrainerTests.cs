using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Tests.Data;
using Recurring.Core.Tests.Model;
using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Training;

public class DlrmTrainerTests
{
    private static FeatureBatch BatchUsingRowsBelow(int maxRow, int count, int seed)
    {
        var random = new Random(seed);
        var batch = new FeatureBatch(DlrmModelTests.SmallConfig().Features, count);
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
    public void TouchedRowsAreTheRowsStepsUpdatedSinceTheyWereLastCleared()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var rowWise = trainer.EmbeddingOptimizer!;
        rowWise.TrackTouchedRows();
        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 3, count: 16, seed: 2));
        rowWise.ClearTouchedRows();
        using var before = model.Embeddings.Weight.clone();

        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 2, count: 16, seed: 4));
        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 1, count: 16, seed: 5));

        using var touched = rowWise.TouchedRows();
        var offsets = model.Embeddings.Offsets;
        Assert.Equal(offsets.SelectMany(o => new[] { o, o + 1 }), touched.data<long>().ToArray());
        using var changed = model.Embeddings.Weight.ne(before).any(1).nonzero().squeeze(1);
        Assert.Equal(touched.data<long>().ToArray(), changed.data<long>().ToArray());
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

    /// <summary>One SGD step (so an MLP weight moves by the learning rate times its gradient) and how far each MLP tensor moved.</summary>
    private static (List<Tensor> Moves, double GradientNorm) SgdStepMoves(double clipGradientNorm)
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions { Mlp = MlpOptimizerKind.Sgd, MlpLearningRate = 0.5 }) { ClipGradientNorm = clipGradientNorm };
        var before = model.Mlps.SelectMany(m => m.Parameters()).Select(p => p.Value.detach().clone()).ToList();
        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 8, count: 32, seed: 5));
        var moves = model.Mlps.SelectMany(m => m.Parameters()).Zip(before, (now, then) => now.Value.detach().sub(then)).ToList();
        return (moves, trainer.ReadMeanGradientNorm());
    }

    [Fact]
    public void ClippingScalesTheWholeGradientDownToTheLimit()
    {
        var (unclipped, norm) = SgdStepMoves(clipGradientNorm: 0);
        double limit = norm / 4;
        var (clipped, normBeforeClipping) = SgdStepMoves(limit);

        Assert.Equal(norm, normBeforeClipping, 6); // the metric reports the gradient as computed
        foreach (var (full, cut) in unclipped.Zip(clipped))
            Assert.True(cut.allclose(full.mul(limit / norm), rtol: 1e-4, atol: 1e-7), "every MLP update shrinks by limit / norm");
    }

    [Fact]
    public void ALimitAboveTheGradientNormLeavesTheStepUnchanged()
    {
        var (unclipped, norm) = SgdStepMoves(clipGradientNorm: 0);
        var (clipped, _) = SgdStepMoves(norm * 2);

        Assert.All(unclipped.Zip(clipped), pair => Assert.True(TensorAssert.Identical(pair.First, pair.Second)));
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
    public void AStepsGradientNormIsTheSameWhetherEmbeddingsUpdateRowWiseOrDense()
    {
        // The dense gradient of the table is zero outside the rows the batch used, which are what row-wise gathers.
        double Norm(EmbeddingUpdateKind update)
        {
            using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
            using var trainer = new DlrmTrainer(model, new OptimizerOptions { EmbeddingUpdate = update });
            trainer.TrainStep(BatchUsingRowsBelow(maxRow: 3, count: 16, seed: 2));
            return trainer.ReadMeanGradientNorm();
        }

        double rowWise = Norm(EmbeddingUpdateKind.RowWiseAdagrad);
        Assert.True(rowWise > 0 && double.IsFinite(rowWise), $"gradient norm {rowWise}");
        Assert.Equal(rowWise, Norm(EmbeddingUpdateKind.DenseAdagrad), rowWise * 1e-5);
    }

    [Fact]
    public void TheMeanGradientNormCountsAppliedStepsSinceTheLastRead()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var poisoned = BatchUsingRowsBelow(maxRow: 5, count: 8, seed: 3);
        poisoned.Dense[4] = float.NaN;

        trainer.TrainStep(poisoned);
        Assert.True(double.IsNaN(trainer.ReadMeanGradientNorm()), "a skipped step has no gradient norm");
        trainer.TrainStep(poisoned);
        trainer.TrainStep(BatchUsingRowsBelow(maxRow: 5, count: 8, seed: 4));
        Assert.True(double.IsFinite(trainer.ReadMeanGradientNorm()), "the applied step's norm, without the skipped one's NaN");
        Assert.True(double.IsNaN(trainer.ReadMeanGradientNorm()), "nothing trained since the last read");
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

    private static List<Tensor> TrainTwentySteps(DlrmConfig config, Func<DlrmModel, int, FeatureBatch> batch)
    {
        using var model = new DlrmModel(config, CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        for (int step = 0; step < 20; step++) trainer.TrainStep(batch(model, step));
        return model.NamedTensors().Select(p => p.Value.detach().clone()).ToList();
    }

    private static readonly FeatureSchema WithBags = new("clicked", [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
        [new SparseFeature("user_id", 30), new SparseFeature("tags", 12, Multi: true, MaxValues: 5), new SparseFeature("topics", 9, Multi: true, MaxValues: 3, Pooling.Mean)]);

    private static DlrmConfig BagConfig() => new() { Features = WithBags, EmbeddingDim = 4, BottomLayers = [2, 8, 4], TopHidden = [6] };

    public static TheoryData<string> Configurations => new() { "criteo", "multi-valued" };

    private static List<Tensor> TrainTwentySteps(string configuration) => configuration == "criteo"
        ? TrainTwentySteps(DlrmModelTests.SmallConfig(), (_, step) => BatchUsingRowsBelow(maxRow: 9, count: 32, seed: step))
        : TrainTwentySteps(BagConfig(), (model, step) => new RandomEvents(WithBags, step).Batch(model.Encoder, 32));

    /// <summary>
    /// Row-wise Adagrad by hand, from the gradient plain autograd gives the whole table through a lookup that pools
    /// the bags (index_select sums the gradient of a row used twice): what the trainer's step must do to the rows.
    /// </summary>
    [Fact]
    public void ARowWiseStepOverBagsMatchesAdagradOnTheSummedGradientOfEveryTouchedRow()
    {
        var batch = new RandomEvents(WithBags, seed: 8).Batch(new FeatureEncoder(WithBags, FeatureStatistics.None), 24);
        // Row 3 of "tags" twice in one bag (bags alternate tags, topics).
        int bag = Enumerable.Range(0, batch.Count).Select(e => 2 * e).First(b => batch.BagOffsets[b + 1] - batch.BagOffsets[b] >= 2);
        batch.BagRows[batch.BagOffsets[bag]] = batch.BagRows[batch.BagOffsets[bag] + 1] = 3;
        var options = new OptimizerOptions();
        using var model = new DlrmModel(BagConfig(), CPU, seed: 1);
        using var reference = new DlrmModel(BagConfig(), CPU, seed: 1);
        using var trainer = new DlrmTrainer(model, options);

        trainer.TrainStep(batch);

        using var scope = NewDisposeScope();
        var table = reference.Embeddings.Weight.detach().clone().requires_grad_(true);
        reference.Embeddings.SetWeight(table);
        int n = batch.BagValueCount;
        var input = new SparseInput(tensor(batch.Rows, [batch.Capacity, batch.SingleWidth]).narrow(0, 0, batch.Count),
            new BagInput(tensor(batch.BagRows).narrow(0, 0, n), tensor(batch.BagOf).narrow(0, 0, n), tensor(batch.BagWeights).narrow(0, 0, n)));
        var dense = tensor(batch.Dense, [batch.Capacity, batch.DenseWidth]).narrow(0, 0, batch.Count);
        var logits = reference.Forward(dense, reference.Embeddings.Lookup(input));
        nn.functional.binary_cross_entropy_with_logits(logits, tensor(batch.Labels).narrow(0, 0, batch.Count)).backward();
        var gradient = table.grad!;
        var touched = gradient.abs().sum([1]).gt(0);
        var accumulator = gradient.pow(HeldScalars.Two).mean([1]);
        using var epsilon = options.Epsilon.ToScalar();
        using var learningRate = (-options.EmbeddingLearningRate).ToScalar();
        var expected = table.detach().add(gradient.div(accumulator.sqrt().add(epsilon, HeldScalars.One).unsqueeze(1)), learningRate);

        Assert.True(touched[30 + 3].item<bool>(), "the row used twice in a bag was not touched");
        Assert.True(model.Embeddings.Weight[touched].allclose(expected[touched], rtol: 1e-5, atol: 1e-6));
        Assert.True(TensorAssert.Identical(model.Embeddings.Weight[touched.logical_not()], table.detach()[touched.logical_not()]));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task ConcurrentGarbageCollectionDoesNotChangeTraining(string configuration)
    {
        // TorchSharp hands native handles of temporary Scalars to libtorch without keeping them alive; a
        // finalizer running mid-call corrupts the value. The trainer must hold every Scalar it uses.
        var undisturbed = TrainTwentySteps(configuration);
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        var disturbed = TrainTwentySteps(configuration);
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
