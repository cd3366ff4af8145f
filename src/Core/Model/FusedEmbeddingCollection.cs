using Recurring.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Model;

/// <summary>
/// A batch's sparse features on the device, as <see cref="FeatureBatch"/> lays them out: per-table rows, not yet
/// fused. B events, S1 single-valued and M multi-valued features, N values in all bags.
/// </summary>
/// <param name="SingleRows">[B, S1] int64: each single-valued feature's row.</param>
/// <param name="Bags">The multi-valued features' values; null when the schema has none.</param>
public sealed record SparseInput(Tensor SingleRows, BagInput? Bags = null)
{
    public long BatchSize => SingleRows.shape[0];
}

/// <param name="Rows">[N] int64: each value's row in its feature's table.</param>
/// <param name="BagOf">[N] int64: each value's bag, <c>event * M + m</c>.</param>
/// <param name="Weights">[N] float32: each value's pooling weight (1 for sum, 1 / bag size for mean).</param>
public sealed record BagInput(Tensor Rows, Tensor BagOf, Tensor Weights);

/// <summary>
/// All embedding tables in one [total rows, dim] tensor, in schema order; table t's row r lives at Offsets[t] + r.
/// One fused gather is 1.3x faster on a GPU than a lookup per table (PLATFORM.md §3). Multi-valued features are
/// pooled as EmbeddingBag does: the weighted sum of their values' rows, per bag.
/// </summary>
public sealed class FusedEmbeddingCollection : IDisposable
{
    public const string WeightName = "embeddings.weight";

    private readonly long[] _offsets;
    private readonly Tensor _singleOffsets;
    private readonly Tensor _multiOffsets;
    private readonly int _multiWidth;

    // Held for the embedding's lifetime: a temporary Scalar can be freed by the finalizer mid-call (see HeldScalars).
    private readonly Scalar _multiWidthScalar;

    /// <param name="initBound">Rows start uniform in [-initBound, initBound].</param>
    public FusedEmbeddingCollection(FeatureSchema features, int dim, Device device, Generator? generator = null, double initBound = 0.2)
    {
        RowsPerTable = features.Sparse.Select(s => s.Rows).ToArray();
        Dim = dim;
        _offsets = new long[RowsPerTable.Count];
        for (int t = 1; t < _offsets.Length; t++) _offsets[t] = _offsets[t - 1] + RowsPerTable[t - 1];
        TotalRows = _offsets[^1] + RowsPerTable[^1];
        _singleOffsets = tensor(features.SingleValued.Select(t => _offsets[t]).ToArray(), device: device);
        _multiOffsets = tensor(features.MultiValued.Select(t => _offsets[t]).ToArray(), device: device);
        _multiWidth = features.MultiValued.Count;
        _multiWidthScalar = _multiWidth.ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Weight = empty([TotalRows, dim]).uniform_(-initBound, initBound, generator).to(device).DetachFromDisposeScope();
    }

    public IReadOnlyList<int> RowsPerTable { get; }
    public int Dim { get; }
    public long TotalRows { get; }

    /// <summary>Where each table starts in the fused tensor, in schema order.</summary>
    public IReadOnlyList<long> Offsets => _offsets;

    /// <summary>The fused table. Row-wise optimizers update it in place, outside autograd.</summary>
    public Tensor Weight { get; private set; }

    /// <summary>Plain lookup [B, S, dim] in interaction order, for scoring or for training the table as one dense parameter.</summary>
    public Tensor Lookup(SparseInput input)
    {
        var fused = FusedRows(input);
        return Assemble(input, Weight.index_select(0, fused));
    }

    /// <summary>
    /// Gathers each distinct row of the batch once, as a leaf tensor whose gradient after backward is the summed
    /// gradient per row (a row used twice, in two events or twice in one bag, sums both): what a row-wise optimizer
    /// needs. Deduplication is sort-based with a fixed output size (one slot per lookup), so it never has to read the
    /// number of distinct rows back from a GPU: unused slots repeat a real row and receive zero gradient.
    /// </summary>
    public RowGather GatherDistinctRows(SparseInput input)
    {
        var flat = FusedRows(input);
        var (sorted, order) = flat.sort();
        var startsRun = ones_like(sorted, dtype: ScalarType.Bool);
        startsRun.narrow(0, 1, sorted.shape[0] - 1).copy_(sorted.narrow(0, 1, sorted.shape[0] - 1).ne(sorted.narrow(0, 0, sorted.shape[0] - 1)));
        var slotOfSorted = startsRun.cumsum(0, ScalarType.Int64).sub_(HeldScalars.One);
        var slotOfLookup = empty_like(flat).scatter_(0, order, slotOfSorted);
        var distinctRows = sorted.clone().scatter_(0, slotOfSorted, sorted);
        var values = Weight.index_select(0, distinctRows).requires_grad_(true);
        return new RowGather(distinctRows, values, Assemble(input, values.index_select(0, slotOfLookup)));
    }

    /// <summary>Fused row ids [B * S1 + N]: the single-valued lookups event by event, then every bag value.</summary>
    private Tensor FusedRows(SparseInput input)
    {
        var single = input.SingleRows.add(_singleOffsets, HeldScalars.One).view(-1);
        if (input.Bags is not { } bags) return single;
        var bagOffsets = _multiOffsets.index_select(0, bags.BagOf.remainder(_multiWidthScalar));
        return cat([single, bags.Rows.add(bagOffsets, HeldScalars.One)], 0);
    }

    /// <summary>[B, S, dim] from the looked-up rows of <see cref="FusedRows"/>: single-valued embeddings, then pooled bags.</summary>
    private Tensor Assemble(SparseInput input, Tensor looked)
    {
        long batch = input.BatchSize, single = input.SingleRows.shape[1];
        var singles = looked.narrow(0, 0, batch * single).view(batch, single, Dim);
        if (input.Bags is not { } bags) return singles;
        var values = looked.narrow(0, batch * single, bags.Rows.shape[0]).mul(bags.Weights.unsqueeze(1));
        var pooled = zeros([batch * _multiWidth, Dim], values.dtype, values.device).index_add(0, bags.BagOf, values, HeldScalars.One);
        return cat([singles, pooled.view(batch, _multiWidth, Dim)], 1);
    }

    /// <summary>Replaces the whole table (checkpoint restore, feature growth); takes ownership of <paramref name="weight"/>.</summary>
    public void SetWeight(Tensor weight)
    {
        if (weight.dim() != 2 || weight.shape[0] != TotalRows || weight.shape[1] != Dim)
            throw new ArgumentException($"Embedding weight must be [{TotalRows}, {Dim}], not [{string.Join(", ", weight.shape)}].");
        var old = Weight;
        Weight = weight.DetachFromDisposeScope();
        if (!ReferenceEquals(old, Weight)) old.Dispose();
    }

    public void Dispose()
    {
        Weight.Dispose();
        _singleOffsets.Dispose();
        _multiOffsets.Dispose();
        _multiWidthScalar.Dispose();
    }
}

/// <summary>The rows a batch touches: <see cref="Values"/> is a leaf whose gradient belongs to <see cref="Rows"/>; <see cref="Embedded"/> is [B, S, dim].</summary>
public sealed record RowGather(Tensor Rows, Tensor Values, Tensor Embedded);
