using Recurring.Core.Data;

namespace Recurring.Core.Model;

/// <summary>
/// The shape of a DLRM under a <see cref="FeatureSchema"/>: the D dense features through the bottom MLP, one
/// embedding table per sparse feature (each with its own rows), a dot interaction over the bottom output and the S
/// sparse embeddings, and the top MLP producing one logit.
/// Layer lists include the input and output width: bottom 13-512-256-64-16 means D = 13 inputs, three hidden layers
/// of 512, 256 and 64 neurons and an output of 16 (which must equal <see cref="EmbeddingDim"/>).
/// <see cref="TopHidden"/> lists only the top MLP's hidden widths; its input width follows from the interaction and
/// its output is the logit.
/// </summary>
public sealed record DlrmConfig
{
    public FeatureSchema Features { get; init; } = FeatureSchema.Criteo();

    public int EmbeddingDim { get; init; } = 16;
    public IReadOnlyList<int> BottomLayers { get; init; } = [CriteoRecord.DenseCount, 512, 256, 64, 16];
    public IReadOnlyList<int> TopHidden { get; init; } = [512, 256];

    /// <summary>
    /// Embedding rows start uniform in [-bound, bound]. DLRM's sqrt(1/rows) (0.003 for 100k rows) makes every dot
    /// product start near zero and learn slowly; 0.2 reached a higher AUC per sample in our runs (docs/training.md).
    /// </summary>
    public double EmbeddingInitBound { get; init; } = 0.2;

    /// <summary>D: inputs of the bottom MLP.</summary>
    public int DenseFeatures => Features.Dense.Count;

    /// <summary>S: embedding tables, one per sparse feature.</summary>
    public int SparseFeatures => Features.Sparse.Count;

    /// <summary>Rows of each table, in schema order.</summary>
    public IReadOnlyList<int> RowsPerTable => Features.Sparse.Select(s => s.Rows).ToArray();

    /// <summary>
    /// The sparse features (schema indices) in the order their embeddings enter the interaction, after the bottom
    /// output: single-valued ones first, then multi-valued ones, each group in schema order.
    /// </summary>
    public IReadOnlyList<int> InteractionOrder => [.. Features.SingleValued, .. Features.MultiValued];

    /// <summary>Features entering the interaction: the bottom output and one embedding per table.</summary>
    public int InteractionFeatures => SparseFeatures + 1;

    /// <summary>Bottom output concatenated with the strict lower triangle of the pairwise dot products.</summary>
    public int TopInput => EmbeddingDim + InteractionFeatures * (InteractionFeatures - 1) / 2;

    /// <summary>Every layer width of the top MLP, input and logit included.</summary>
    public IReadOnlyList<int> TopLayers => [TopInput, .. TopHidden, 1];

    public long TotalRows => Features.Sparse.Sum(s => (long)s.Rows);

    /// <summary>
    /// One line per problem with the shape, each starting with the property at fault; empty when it is usable. The
    /// schema validates itself (<see cref="FeatureSchema.Validate"/>).
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(EmbeddingInitBound > 0) || double.IsInfinity(EmbeddingInitBound))
            errors.Add($"EmbeddingInitBound must be a positive number, not {EmbeddingInitBound}.");
        if (EmbeddingDim < 1) errors.Add($"EmbeddingDim must be at least 1, not {EmbeddingDim}.");
        if (BottomLayers.Count < 2 || BottomLayers[0] != DenseFeatures)
            errors.Add($"BottomLayers must start with the {DenseFeatures} dense inputs and have an output layer.");
        else if (BottomLayers[^1] != EmbeddingDim)
            errors.Add($"BottomLayers must end with the embedding dimension {EmbeddingDim} (it feeds the dot interaction), not {BottomLayers[^1]}.");
        if (BottomLayers.Any(w => w < 1)) errors.Add($"BottomLayers: every layer width must be at least 1, not {string.Join('-', BottomLayers)}.");
        if (TopHidden.Any(w => w < 1)) errors.Add($"TopHidden: every layer width must be at least 1, not {string.Join('-', TopHidden)}.");
        return errors;
    }

    public void EnsureValid()
    {
        var errors = Features.Validate().Select(e => $"Features:{e}").Concat(Validate()).ToArray();
        if (errors.Length > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
    }
}
