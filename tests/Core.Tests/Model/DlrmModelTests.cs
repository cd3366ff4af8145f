using Recurring.Core.Data;
using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Model;

public class DlrmModelTests
{
    internal static DlrmConfig SmallConfig() => new()
    {
        EmbeddingDim = 4,
        Features = FeatureSchema.Criteo().WithRows(t => 10 + t),
        BottomLayers = [13, 8, 4],
        TopHidden = [6, 5],
    };

    [Fact]
    public void ForwardGivesOneLogitPerEvent()
    {
        using var model = new DlrmModel(SmallConfig(), CPU, seed: 1);
        using var scope = NewDisposeScope();
        var logits = model.Forward(rand(7, 13), model.Embeddings.Lookup(new SparseInput(zeros([7, 26], ScalarType.Int64))));
        Assert.Equal(new long[] { 7 }, logits.shape);
    }

    [Fact]
    public void TopMlpInputIsBottomOutputPlusStrictLowerTriangleOfDotProducts()
    {
        var config = SmallConfig();
        Assert.Equal(4 + 27 * 26 / 2, config.TopInput);
        using var model = new DlrmModel(config, CPU, seed: 1);
        Assert.Equal(new[] { config.TopInput, 6, 5, 1 }, model.Top.Widths);
    }

    [Fact]
    public void BackwardReachesEveryMlpParameter()
    {
        using var model = new DlrmModel(SmallConfig(), CPU, seed: 1);
        using var scope = NewDisposeScope();
        var logits = model.Forward(rand(5, 13), model.Embeddings.Lookup(new SparseInput(ones([5, 26], ScalarType.Int64))));
        logits.sum().backward();
        foreach (var (name, parameter) in model.Bottom.Parameters().Concat(model.Top.Parameters()))
        {
            Assert.True(parameter.grad is not null, $"{name} has no gradient");
            Assert.Equal(parameter.shape, parameter.grad!.shape);
        }
    }

    [Fact]
    public void InteractionComputesEachPairOnce()
    {
        using var interaction = new DotInteraction(features: 3, CPU);
        using var scope = NewDisposeScope();
        var bottom = tensor(new float[] { 1, 2 }, [1, 2]);
        var embeddings = tensor(new float[] { 3, 4, 5, 6 }, [1, 2, 2]);
        var output = interaction.Forward(bottom, embeddings).data<float>().ToArray();
        // bottom, then <e1,b>, <e2,b>, <e2,e1> in row-major strict lower-triangle order.
        Assert.Equal(new float[] { 1, 2, 11, 17, 39 }, output);
    }

    [Fact]
    public void SameSeedBuildsIdenticalModels()
    {
        using var first = new DlrmModel(SmallConfig(), CPU, seed: 7);
        using var second = new DlrmModel(SmallConfig(), CPU, seed: 7);
        foreach (var ((name, a), (_, b)) in first.NamedTensors().Zip(second.NamedTensors()))
            Assert.True(TensorAssert.Identical(a, b), $"{name} differs");
    }

    [Fact]
    public void InvalidShapeIsRejectedNamingThePropertyAtFault()
    {
        var config = SmallConfig() with { BottomLayers = [13, 8, 5] };
        var error = Assert.Throws<ArgumentException>(() => new DlrmModel(config, CPU, seed: 1));
        Assert.StartsWith("BottomLayers", error.Message);
    }
}
