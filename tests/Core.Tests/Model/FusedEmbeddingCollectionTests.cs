using Recurring.Core.Data;
using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Model;

public class FusedEmbeddingCollectionTests
{
    private static FeatureSchema Tables(params SparseFeature[] sparse) => new("label", [new DenseFeature("x")], sparse);

    private static FusedEmbeddingCollection ThreeTables() =>
        new(Tables(new SparseFeature("a", 3), new SparseFeature("b", 4), new SparseFeature("c", 5)), dim: 2, CPU, new Generator(1));

    /// <summary>Tables a (3 rows, single), tags (4 rows, multi, the given pooling), c (5 rows, single).</summary>
    private static FusedEmbeddingCollection WithBag(Pooling pooling) =>
        new(Tables(new SparseFeature("a", 3), new SparseFeature("tags", 4, Multi: true, MaxValues: 4, pooling), new SparseFeature("c", 5)),
            dim: 2, CPU, new Generator(1));

    [Fact]
    public void TableRowsMapToFusedRowsThroughOffsets()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var looked = embeddings.Lookup(new SparseInput(tensor(new long[] { 2, 0, 4 }, [1, 3])));
        var expected = embeddings.Weight.index_select(0, tensor(new long[] { 2, 3, 11 })).view(1, 3, 2);
        Assert.True(TensorAssert.Identical(expected, looked));
        Assert.Equal(12, embeddings.TotalRows);
        Assert.Equal([0L, 3, 7], embeddings.Offsets);
    }

    [Fact]
    public void DistinctRowGatherMatchesPlainLookup()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var input = new SparseInput(tensor(new long[] { 1, 2, 3, 1, 2, 3, 0, 0, 0 }, [3, 3]));
        var gather = embeddings.GatherDistinctRows(input);
        Assert.True(TensorAssert.Identical(gather.Embedded, embeddings.Lookup(input)));
    }

    [Fact]
    public void DistinctRowGatherSumsTheGradientOfRepeatedRows()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var rows = tensor(new long[] { 1, 2, 3, 1, 2, 3, 1, 0, 0 }, [3, 3]);
        var weights = arange(18, dtype: ScalarType.Float32).view(3, 3, 2);
        var gather = embeddings.GatherDistinctRows(new SparseInput(rows));
        (gather.Embedded * weights).sum().backward();

        var reference = embeddings.Weight.detach().clone().requires_grad_(true);
        var fused = rows.add(tensor(new long[] { 0, 3, 7 }), HeldScalars.One).view(-1);
        (reference.index_select(0, fused).view(3, 3, 2) * weights).sum().backward();

        var summed = zeros_like(reference).index_add_(0, gather.Rows, gather.Values.grad!, 1);
        Assert.True(summed.allclose(reference.grad!));
    }

    /// <summary>Two events; event 0's tags are rows [1, 3, 3], event 1's [2].</summary>
    private static SparseInput TwoEventsWithTags(Pooling pooling)
    {
        var bagOf = tensor(new long[] { 0, 0, 0, 1 });
        var weights = pooling == Pooling.Mean ? tensor(new float[] { 1f / 3, 1f / 3, 1f / 3, 1 }) : ones(4);
        return new SparseInput(tensor(new long[] { 1, 4, 2, 0 }, [2, 2]), new BagInput(tensor(new long[] { 1, 3, 3, 2 }), bagOf, weights));
    }

    [Theory]
    [InlineData(Pooling.Sum)]
    [InlineData(Pooling.Mean)]
    public void AMultiValuedFeatureIsPooledOverItsBagAndComesAfterTheSingleValuedOnes(Pooling pooling)
    {
        using var embeddings = WithBag(pooling);
        using var scope = NewDisposeScope();
        var looked = embeddings.Lookup(TwoEventsWithTags(pooling));
        var w = embeddings.Weight;
        // Offsets: a 0, tags 3, c 7.
        var tags0 = w[3 + 1] + w[3 + 3] + w[3 + 3];
        if (pooling == Pooling.Mean) tags0 = tags0 / 3;
        var expected = stack([w[1], w[7 + 4], tags0, w[2], w[7 + 0], w[3 + 2]]).view(2, 3, 2);
        Assert.True(expected.allclose(looked, rtol: 1e-6, atol: 1e-7));
    }

    [Fact]
    public void ARowRepeatedInsideABagGetsItsGradientOnceSummedOverBothUses()
    {
        using var embeddings = WithBag(Pooling.Sum);
        using var scope = NewDisposeScope();
        var input = TwoEventsWithTags(Pooling.Sum);
        var gather = embeddings.GatherDistinctRows(input);
        Assert.True(TensorAssert.Identical(gather.Embedded, embeddings.Lookup(input)));
        gather.Embedded.sum().backward();

        var gradient = zeros_like(embeddings.Weight).index_add_(0, gather.Rows, gather.Values.grad!, 1);
        Assert.Equal(new float[] { 2, 2 }, gradient[3 + 3].data<float>().ToArray());
        Assert.Equal(new float[] { 1, 1 }, gradient[3 + 1].data<float>().ToArray());
        Assert.Equal(new float[] { 0, 0 }, gradient[3 + 0].data<float>().ToArray());
    }
}
