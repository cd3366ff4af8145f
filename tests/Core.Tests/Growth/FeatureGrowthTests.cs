using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Tests.Data;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Growth;

public class FeatureGrowthTests
{
    private static readonly FeatureSchema Before = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
        [new SparseFeature("user_id", 50), new SparseFeature("tags", 20, Multi: true, MaxValues: 4, Pooling.Mean), new SparseFeature("item_id", 30)]);

    private static FeatureSchema Appending(DenseFeature[] dense, SparseFeature[] sparse) =>
        new(Before.Label, [.. Before.Dense, .. dense], [.. Before.Sparse, .. sparse]);

    private static DlrmTrainer Trained(FeatureSchema schema)
    {
        var config = new DlrmConfig { Features = schema, EmbeddingDim = 4, BottomLayers = [schema.Dense.Count, 8, 4], TopHidden = [6] };
        var model = new DlrmModel(config, CPU, seed: 3);
        var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var events = new RandomEvents(schema, seed: 5);
        for (int step = 0; step < 3; step++) trainer.TrainStep(events.Batch(model.Encoder, 32));
        return trainer;
    }

    /// <summary>The grown model's scores of random events of the grown schema, next to the old model's scores of the same events without the new features.</summary>
    private static (float[] Before, float[] After) Scores(DlrmTrainer before, DlrmTrainer after)
    {
        var events = new RandomEvents(after.Model.Config.Features, seed: 11);
        var grownBatch = new FeatureBatch(after.Model.Config.Features, 64);
        var oldBatch = new FeatureBatch(before.Model.Config.Features, 64);
        for (int i = 0; i < 64; i++)
        {
            var e = events.Next();
            grownBatch.Add(e, after.Model.Encoder);
            oldBatch.Add(RandomEvents.Project(e, before.Model.Config.Features), before.Model.Encoder);
        }
        return (before.Predict(oldBatch), after.Predict(grownBatch));
    }

    public static TheoryData<string, DenseFeature[], SparseFeature[]> Additions => new()
    {
        { "a dense feature", [new DenseFeature("score")], [] },
        { "a single-valued sparse feature", [], [new SparseFeature("country", 10)] },
        { "a multi-valued sparse feature", [], [new SparseFeature("topics", 15, Multi: true, MaxValues: 3)] },
        { "one of each", [new DenseFeature("score", DenseTransform.Log1p)], [new SparseFeature("country", 10), new SparseFeature("topics", 15, Multi: true)] },
    };

    [Theory]
    [MemberData(nameof(Additions))]
    public void AnAppendedFeatureLeavesEveryScoreAsItWas(string what, DenseFeature[] dense, SparseFeature[] sparse)
    {
        using var before = Trained(Before);
        using var after = FeatureGrowth.Grow(before, Appending(dense, sparse), seed: 9);
        using var model = after.Model;

        var (old, grown) = Scores(before, after);

        Assert.True(old.Zip(grown).All(p => Math.Abs(p.First - p.Second) < 1e-6), $"{what}: scores moved by up to {old.Zip(grown).Max(p => Math.Abs(p.First - p.Second))}");
        Assert.Equal(before.Steps, after.Steps);
    }

    [Fact]
    public void TheGrownModelLearnsFromTheNewFeature()
    {
        using var before = Trained(Before);
        var grownSchema = Appending([new DenseFeature("score")], [new SparseFeature("country", 10)]);
        using var after = FeatureGrowth.Grow(before, grownSchema, seed: 9);
        using var model = after.Model;
        var columns = FeatureGrowth.TopInputColumns(before.Model.Config, model.Config).data<long>().ToHashSet();
        var newColumns = Enumerable.Range(0, model.Config.TopInput).Where(c => !columns.Contains(c)).Select(c => (long)c).ToArray();
        using var newIndex = tensor(newColumns);

        after.TrainStep(new RandomEvents(grownSchema, seed: 2).Batch(model.Encoder, 64));

        using var scope = NewDisposeScope();
        Assert.True(model.Top.Weight(0).index_select(1, newIndex).abs().sum().item<float>() > 0, "the new pairs' top weights stayed zero");
        Assert.True(model.Bottom.Weight(0).narrow(1, 2, 1).abs().sum().item<float>() > 0, "the new dense input's weights stayed zero");
    }

    [Fact]
    public void OldWeightsAndOptimizerStateAreCarriedOverAndNewStateStartsAtZero()
    {
        using var before = Trained(Before);
        using var after = FeatureGrowth.Grow(before, Appending([], [new SparseFeature("country", 10)]), seed: 9);
        using var model = after.Model;
        using var scope = NewDisposeScope();
        long oldRows = before.Model.Embeddings.TotalRows;

        Assert.True(TensorAssert.Identical(before.Model.Embeddings.Weight, model.Embeddings.Weight.narrow(0, 0, oldRows)));
        Assert.True(TensorAssert.Identical(before.EmbeddingOptimizer!.Accumulator, after.EmbeddingOptimizer!.Accumulator.narrow(0, 0, oldRows)));
        Assert.Equal(0f, after.EmbeddingOptimizer.Accumulator.narrow(0, oldRows, 10).abs().sum().item<float>());
        Assert.True(TensorAssert.Identical(before.Model.Bottom.Weight(0), model.Bottom.Weight(0)));
        Assert.True(TensorAssert.Identical(before.MlpOptimizer.State("top.1.weight")!, after.MlpOptimizer.State("top.1.weight")!));
    }

    [Fact]
    public void ARemovedFeatureIsRefusedNamingIt()
    {
        using var before = Trained(Before);
        var fewer = new FeatureSchema(Before.Label, Before.Dense, Before.Sparse.Take(2).ToArray());

        var refusal = Assert.Throws<ArgumentException>(() => FeatureGrowth.Grow(before, fewer, seed: 9));

        Assert.Contains("'item_id'", refusal.Message);
    }
}
