using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Model;

public class FusedEmbeddingCollectionTests
{
    private static FusedEmbeddingCollection ThreeTables() => new([3, 4, 5], dim: 2, CPU, new Generator(1));

    [Fact]
    public void TableRowsMapToFusedRowsThroughOffsets()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var fused = embeddings.FusedRows(tensor(new long[] { 2, 0, 4 }, [1, 3]));
        Assert.Equal(new long[] { 2, 3, 11 }, fused.data<long>().ToArray());
        Assert.Equal(12, embeddings.TotalRows);
    }

    [Fact]
    public void DistinctRowGatherMatchesPlainLookup()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var rows = tensor(new long[] { 1, 2, 3, 1, 2, 3, 0, 0, 0 }, [3, 3]);
        var gather = embeddings.GatherDistinctRows(rows);
        Assert.True(TensorAssert.Identical(gather.Embedded, embeddings.Lookup(rows)));
    }

    [Fact]
    public void DistinctRowGatherSumsTheGradientOfRepeatedRows()
    {
        using var embeddings = ThreeTables();
        using var scope = NewDisposeScope();
        var rows = tensor(new long[] { 1, 2, 3, 1, 2, 3, 1, 0, 0 }, [3, 3]);
        var weights = arange(18, dtype: ScalarType.Float32).view(3, 3, 2);
        var gather = embeddings.GatherDistinctRows(rows);
        (gather.Embedded * weights).sum().backward();

        var reference = embeddings.Weight.detach().clone().requires_grad_(true);
        (reference.index_select(0, embeddings.FusedRows(rows).view(-1)).view(3, 3, 2) * weights).sum().backward();

        var summed = zeros_like(reference).index_add_(0, gather.Rows, gather.Values.grad!, 1);
        Assert.True(summed.allclose(reference.grad!));
    }
}
