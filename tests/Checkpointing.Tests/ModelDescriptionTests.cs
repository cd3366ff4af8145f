using System.Text.Json;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class ModelDescriptionTests
{
    private static readonly FeatureSchema MixedSchema = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour", Default: 12), new DenseFeature("score", DenseTransform.Standardize)],
        [new SparseFeature("user_id", 20), new SparseFeature("tags", 7, Multi: true, MaxValues: 4, Pooling.Mean), new SparseFeature("item_id", 11)]);

    private static readonly FeatureStatistics ScoreMoments = new(new Dictionary<string, DenseMoments> { ["score"] = new(2.5, 4) });

    private static DlrmModel MixedModel() => new(new DlrmConfig
    {
        Features = MixedSchema,
        EmbeddingDim = 4,
        BottomLayers = [3, 8, 4],
        TopHidden = [5],
    }, CPU, seed: 1, ScoreMoments);

    [Fact]
    public void DescribesInputsInSchemaOrderWithTheirStatisticsAndFusedOffsets()
    {
        using var model = MixedModel();

        var description = ModelDescription.Of(model);

        Assert.Equal("clicked", description.Label);
        Assert.Equal(
            [new DenseInputDescription(0, "price", DenseTransform.Log1p, null, null, null),
             new DenseInputDescription(1, "hour", DenseTransform.None, 12, null, null),
             new DenseInputDescription(2, "score", DenseTransform.Standardize, null, 2.5, 4)],
            description.Dense);
        Assert.Equal(
            [new SparseInputDescription(0, "user_id", 20, 0, false, 16, Pooling.Sum, 1),
             new SparseInputDescription(1, "tags", 7, 20, true, 4, Pooling.Mean, 3),
             new SparseInputDescription(2, "item_id", 11, 27, false, 16, Pooling.Sum, 2)],
            description.Sparse);
        Assert.Equal(new HashingDescription("fnv1a64-splitmix64", 0), description.Hashing);
        Assert.Equal(new EmbeddingDescription("embeddings.weight", 38, 4, "F32"), description.Embeddings);
    }

    [Fact]
    public void DescribesTheForwardPassLayerByLayerWithTensorNamesAndActivations()
    {
        using var model = MixedModel();

        var description = ModelDescription.Of(model);

        Assert.Equal(
            [new LayerDescription("bottom.0.weight", "bottom.0.bias", 3, 8, LayerActivation.Relu),
             new LayerDescription("bottom.1.weight", "bottom.1.bias", 8, 4, LayerActivation.Relu)],
            description.Bottom);
        Assert.Equal(["bottom", "user_id", "item_id", "tags"], description.Interaction.Features);
        Assert.Equal((InteractionKind.Dot, 6, 10), (description.Interaction.Kind, description.Interaction.Pairs, description.Interaction.Outputs));
        Assert.Equal(
            [new LayerDescription("top.0.weight", "top.0.bias", 10, 5, LayerActivation.Relu),
             new LayerDescription("top.1.weight", "top.1.bias", 5, 1, LayerActivation.None)],
            description.Top);
        Assert.Equal(OutputActivation.Sigmoid, description.Output);
        Assert.Equal(model.NamedTensors().Select(t => t.Name).Skip(1),
            description.Bottom.Concat(description.Top).SelectMany(layer => new[] { layer.Weight, layer.Bias }));
    }

    [Fact]
    public async Task EveryCheckpointCarriesItsDescriptionVerifiedByTheManifest()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var info = await Checkpoints.Manager(directory.Path).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        var path = Path.Combine(directory.Path, info.Id, CheckpointFiles.Description);
        Assert.Contains(info.Manifest.Files, f => f.Name == CheckpointFiles.Description && f.Bytes == new FileInfo(path).Length);
        await using var stream = File.OpenRead(path);
        var stored = await ModelDescription.ReadAsync(stream, CancellationToken.None);
        Assert.Equivalent(ModelDescription.Of(run.Model), stored, strict: true);
    }

    [Fact]
    public async Task SpellsTransformsPoolingAndActivationsAsDocumented()
    {
        using var model = MixedModel();
        using var buffer = new MemoryStream();

        await ModelDescription.Of(model).WriteAsync(buffer, CancellationToken.None);

        using var json = JsonDocument.Parse(buffer.ToArray());
        var root = json.RootElement;
        Assert.Equal("standardize", root.GetProperty("dense")[2].GetProperty("transform").GetString());
        Assert.Equal("log1p", root.GetProperty("dense")[0].GetProperty("transform").GetString());
        Assert.Equal("mean", root.GetProperty("sparse")[1].GetProperty("pooling").GetString());
        Assert.Equal("relu", root.GetProperty("bottom")[1].GetProperty("activation").GetString());
        Assert.Equal("none", root.GetProperty("top")[1].GetProperty("activation").GetString());
        Assert.Equal("dot", root.GetProperty("interaction").GetProperty("kind").GetString());
        Assert.Equal("sigmoid", root.GetProperty("output").GetString());
    }

    [Fact]
    public async Task ADamagedDescriptionFailsVerification()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var manager = Checkpoints.Manager(directory.Path);
        var info = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        var path = Path.Combine(directory.Path, info.Id, CheckpointFiles.Description);
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"relu\"", "\"none\""));

        var status = await manager.VerifyAsync(info.Id, CancellationToken.None);
        var restored = await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.False(status.IsValid);
        Assert.Contains("model.json", status.Problem);
        Assert.Null(restored);
    }
}
