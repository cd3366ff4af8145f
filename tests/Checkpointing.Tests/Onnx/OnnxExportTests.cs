using Microsoft.ML.OnnxRuntime;
using Recurring.Checkpointing.Onnx;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Metrics;
using Recurring.Core.Model;
using Recurring.Core.Tests.Data;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests.Onnx;

/// <summary>
/// ONNX Runtime runs the exported graph on the inputs docs/serving.md describes and gets the trainer's probabilities
/// (TorchSharp's forward on the same batch) within 1e-5.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private const double Tolerance = 1e-5;

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Every kind of feature: transforms, single-valued ones around two multi-valued ones, one mean- and one sum-pooled.</summary>
    internal static readonly FeatureSchema MultiValued = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour", Default: 12), new DenseFeature("score", DenseTransform.Standardize)],
        [
            new SparseFeature("user_id", 50),
            new SparseFeature("tags", 20, Multi: true, MaxValues: 4, Pooling.Mean),
            new SparseFeature("item_id", 30),
            new SparseFeature("topics", 15, Multi: true, MaxValues: 3, Pooling.Sum),
        ]);

    internal static DlrmTrainer TrainedOnRandomEvents(FeatureSchema schema, int steps = 5)
    {
        var config = new DlrmConfig { Features = schema, EmbeddingDim = 6, BottomLayers = [schema.Dense.Count, 12, 6], TopHidden = [10, 7] };
        var statistics = new FeatureStatistics(new Dictionary<string, DenseMoments> { ["score"] = new(2.5, 9) });
        var trainer = new DlrmTrainer(new DlrmModel(config, CPU, seed: 3, statistics), new OptimizerOptions());
        var events = new RandomEvents(schema, seed: 5);
        for (int step = 0; step < steps; step++) trainer.TrainStep(events.Batch(trainer.Model.Encoder, 64));
        return trainer;
    }

    private string Export(DlrmModel model, bool? externalData = null) =>
        OnnxExporter.Export(model, Path.Combine(_directory.Path, "model.onnx"), new OnnxExportOptions { ExternalData = externalData }, CancellationToken.None).Path;

    /// <summary>Exports <paramref name="exported"/> (the trainer's model by default) and scores the batch with ONNX Runtime, sent as <paramref name="send"/> says.</summary>
    private void AssertScoresLikeTheTrainer(DlrmTrainer trainer, FeatureBatch batch, DlrmModel? exported = null, Func<OnnxInputs, OnnxInputs>? send = null)
    {
        using var session = new InferenceSession(Export(exported ?? trainer.Model));
        var inputs = OnnxInputs.Of(batch);
        AssertClose(trainer.Predict(batch), (send ?? (i => i))(inputs).Score(session));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= Tolerance, $"ONNX Runtime's probabilities differ from the trainer's by up to {worst:E2}");
    }

    [Fact]
    public void TheCriteoPresetScoresLikeTheTrainer()
    {
        using var run = new TrainingRun(steps: 3);

        AssertScoresLikeTheTrainer(run.Trainer, TrainingRun.Batch(step: 100, count: 128));
    }

    [Fact]
    public void SumAndMeanPooledMultiValuedFeaturesScoreLikeTheTrainer()
    {
        using var trainer = TrainedOnRandomEvents(MultiValued);
        using var model = trainer.Model;
        // Random events miss values, send empty lists, and lists longer than MaxValues.
        var batch = new RandomEvents(MultiValued, seed: 21).Batch(model.Encoder, 200);

        AssertScoresLikeTheTrainer(trainer, batch);
    }

    [Fact]
    public void OneEventPerCallScoresAsInABatch()
    {
        using var trainer = TrainedOnRandomEvents(MultiValued);
        using var model = trainer.Model;
        using var session = new InferenceSession(Export(model));
        var events = new RandomEvents(MultiValued, seed: 25);

        for (int i = 0; i < 8; i++)
        {
            var single = events.Batch(model.Encoder, 1);
            AssertClose(trainer.Predict(single), OnnxInputs.Of(single).Score(session));
        }
    }

    [Fact]
    public void AnEmptyBagScoresAsAMissingListDoes()
    {
        using var trainer = TrainedOnRandomEvents(MultiValued);
        using var model = trainer.Model;
        var batch = new RandomEvents(MultiValued, seed: 22).Batch(model.Encoder, 200);
        Assert.Contains(0L, batch.BagRows[..batch.BagValueCount]); // a missing list, sent as an empty bag below

        AssertScoresLikeTheTrainer(trainer, batch, send: inputs => inputs.WithMissingListsEmpty());
    }

    [Fact]
    public void ASchemaWithOnlyMultiValuedFeaturesHasNoRowsInput()
    {
        var schema = new FeatureSchema("label", [new DenseFeature("x")],
            [new SparseFeature("tags", 20, Multi: true, MaxValues: 3, Pooling.Mean), new SparseFeature("topics", 9, Multi: true)]);
        using var trainer = TrainedOnRandomEvents(schema);
        using var model = trainer.Model;
        using var session = new InferenceSession(Export(model));
        var batch = new RandomEvents(schema, seed: 23).Batch(model.Encoder, 50);

        Assert.Equal([OnnxSignature.Dense, OnnxSignature.BagRows, OnnxSignature.BagOffsets], session.InputNames);
        AssertClose(trainer.Predict(batch), OnnxInputs.Of(batch).Score(session));
    }

    [Fact]
    public void TheLogitOutputIsTheTopMlpsOutput()
    {
        using var run = new TrainingRun(steps: 2);
        using var session = new InferenceSession(Export(run.Model));
        var batch = TrainingRun.Batch(step: 50, count: 32);

        var logits = OnnxInputs.Of(batch).Run(session, OnnxSignature.Logit);

        AssertClose(run.Trainer.Predict(batch), logits.Select(l => (float)(1 / (1 + Math.Exp(-l)))).ToArray());
    }

    /// <summary>Events of <see cref="TrainingRun.SmallConfig"/> whose click depends on the first dense value and the first table's row.</summary>
    private static FeatureBatch LearnableBatch(int seed, int count)
    {
        var random = new Random(seed);
        var batch = new FeatureBatch(TrainingRun.SmallConfig().Features, count);
        var dense = new float[batch.DenseWidth];
        var rows = new long[batch.SingleWidth];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < dense.Length; j++) dense[j] = (float)random.NextDouble();
            for (int t = 0; t < rows.Length; t++) rows[t] = random.Next(10);
            double probability = 1 / (1 + Math.Exp(-(6 * dense[0] - 3 + (rows[0] < 3 ? 2 : -1))));
            batch.Add(dense, rows, random.NextDouble() < probability);
        }
        return batch;
    }

    [Fact]
    public void AModelTrainedOnClicksHasTheSameAucInOnnxRuntime()
    {
        using var model = new DlrmModel(TrainingRun.SmallConfig(), CPU, TrainingRun.Seed);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions { MlpLearningRate = 0.05 });
        for (int step = 0; step < 25; step++) trainer.TrainStep(LearnableBatch(seed: step, count: 128));
        var batch = LearnableBatch(seed: 1_000, count: 4_000);
        using var session = new InferenceSession(Export(model));

        var expected = ClickMetrics.Compute(trainer.Predict(batch), batch.Labels);
        var actual = ClickMetrics.Compute(OnnxInputs.Of(batch).Score(session), batch.Labels);

        Assert.True(expected.Auc > 0.65, $"the model learned too little to compare (AUC {expected.Auc:F4})");
        Assert.Equal(expected.Auc, actual.Auc, 4);
    }

    public static TheoryData<string> AmgpMoments => ["while pruned", "after regrowth"];

    [Theory]
    [MemberData(nameof(AmgpMoments))]
    public async Task ACheckpointOfAnAmgpRunScoresLikeTheTrainer(string moment)
    {
        using var run = new TrainingRun(steps: 0);
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions { WarmupSteps = 2, PrunedSteps = 3, DenseSteps = 2, FinalDenseSteps = 3, KeepFraction = 0.5 }, totalSteps: 10);
        using var growth = new GrowthPruningController(schedule, run.Model, run.Trainer.MlpOptimizer, TrainingRun.Seed);
        var changes = new List<PhaseChange>();
        growth.PhaseChanged += changes.Add;
        bool Reached() => moment == "while pruned" ? growth.IsPruned : changes.Count == 2;
        for (int step = 0; !Reached(); step++)
        {
            growth.BeforeStep(step);
            run.Trainer.TrainStep(TrainingRun.Batch(step));
        }
        run.Train(1); // regrown neurons learn a step before the checkpoint
        Assert.Equal(moment == "while pruned", !run.Model.Bottom.Widths.SequenceEqual(run.Model.Bottom.FullWidths));
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Path.Combine(_directory.Path, "checkpoints") });
        await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        using var restored = (await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;

        AssertScoresLikeTheTrainer(run.Trainer, TrainingRun.Batch(step: 100, count: 64), exported: restored.Model);
    }

    [Fact]
    public void WeightsInASideFileScoreTheSame()
    {
        using var trainer = TrainedOnRandomEvents(MultiValued);
        using var model = trainer.Model;
        var result = OnnxExporter.Export(model, Path.Combine(_directory.Path, "model.onnx"), new OnnxExportOptions { ExternalData = true }, CancellationToken.None);
        using var session = new InferenceSession(result.Path);
        var batch = new RandomEvents(MultiValued, seed: 24).Batch(model.Encoder, 100);

        Assert.Equal(result.Path + OnnxExporter.ExternalDataSuffix, result.ExternalDataPath);
        Assert.True(result.ExternalDataBytes >= model.ParameterCount * sizeof(float), $"{result.ExternalDataBytes} bytes for {model.ParameterCount} weights");
        Assert.True(result.Bytes < 16_384, $"the model file still holds the weights: {result.Bytes} bytes");
        AssertClose(trainer.Predict(batch), OnnxInputs.Of(batch).Score(session));
    }

    /// <summary>docs/serving.md's worked example: its schema, its two events, and the arrays it says they become.</summary>
    [Fact]
    public void TheWorkedExampleOfServingMdScoresLikeTheTrainer()
    {
        var schema = new FeatureSchema("clicked",
            [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
            [new SparseFeature("user_id", 200_000), new SparseFeature("tags", 50_000, Multi: true, Pooling: Pooling.Mean), new SparseFeature("country", 1_000)]);
        using var trainer = TrainedOnRandomEvents(schema, steps: 1);
        using var model = trainer.Model;
        var first = new ClickEvent(schema) { Dense = { [0] = 9.0, [1] = 14 } };
        first.AddInteger(0, 42);
        first.AddString(1, "sports");
        first.AddString(1, "Sports");
        first.AddString(2, "DE");
        var second = new ClickEvent(schema) { Dense = { [1] = 3 } };
        second.AddInteger(0, -42);
        second.AddString(2, "de");
        var batch = new FeatureBatch(schema, 2);
        batch.Add(first, model.Encoder);
        batch.Add(second, model.Encoder);
        var documented = new OnnxInputs(2, [2.3025851f, 14f, 0f, 3f], [54163, 441, 115434, 126], [21461, 41244], [0, 2, 2], schema);
        using var session = new InferenceSession(Export(model));

        var built = OnnxInputs.Of(batch);
        Assert.Equal(documented.Dense, built.Dense);
        Assert.Equal(documented.Rows, built.Rows);
        Assert.Equal([21461, 41244, 0], built.BagRows);
        Assert.Equal([0, 2, 3], built.BagOffsets);
        AssertClose(trainer.Predict(batch), documented.Score(session));
    }

    [Fact]
    public void TheGraphDeclaresTheDocumentedInputsOutputsAndOpset()
    {
        using var trainer = TrainedOnRandomEvents(MultiValued, steps: 0);
        using var model = trainer.Model;
        using var session = new InferenceSession(Export(model));

        Assert.Equal(17, OnnxExporter.Opset);
        var dense = session.InputMetadata[OnnxSignature.Dense];
        Assert.Equal(typeof(float), dense.ElementType);
        Assert.Equal([-1, 3], dense.Dimensions);
        Assert.Equal("batch", dense.SymbolicDimensions[0]);
        var rows = session.InputMetadata[OnnxSignature.Rows];
        Assert.Equal(typeof(long), rows.ElementType);
        Assert.Equal([-1, 2], rows.Dimensions);
        Assert.Equal(["bag_values"], session.InputMetadata[OnnxSignature.BagRows].SymbolicDimensions);
        Assert.Equal(["bag_bounds"], session.InputMetadata[OnnxSignature.BagOffsets].SymbolicDimensions);
        Assert.Equal([OnnxSignature.Probability, OnnxSignature.Logit], session.OutputNames);
        Assert.Equal(["batch"], session.OutputMetadata[OnnxSignature.Probability].SymbolicDimensions);
    }

    [Fact]
    public void AFailedExportLeavesNoFileBehind()
    {
        using var run = new TrainingRun(steps: 0);
        var path = Path.Combine(_directory.Path, "model.onnx");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => OnnxExporter.Export(run.Model, path, new OnnxExportOptions(), cancelled.Token));

        Assert.Empty(_directory.Entries());
    }
}
