namespace Recurring.Core.Model;

/// <summary>
/// The shape of a DLRM: 13 dense inputs through the bottom MLP, one embedding table per categorical feature, a dot
/// interaction over the bottom output and the embeddings, and the top MLP producing one logit.
/// Layer lists include the input and output width: bottom 13-512-256-64-16 means three hidden layers of
/// 512, 256 and 64 neurons and an output of 16 (which must equal <see cref="EmbeddingDim"/>).
/// <see cref="TopHidden"/> lists only the top MLP's hidden widths; its input width follows from the interaction and
/// its output is the logit.
/// </summary>
public sealed record DlrmConfig
{
    public const int DenseFeatures = 13;
    public const int CategoricalFeatures = 26;

    public int EmbeddingDim { get; init; } = 16;
    public IReadOnlyList<int> RowsPerTable { get; init; } = Enumerable.Repeat(100_000, CategoricalFeatures).ToArray();
    public IReadOnlyList<int> BottomLayers { get; init; } = [DenseFeatures, 512, 256, 64, 16];
    public IReadOnlyList<int> TopHidden { get; init; } = [512, 256];

    /// <summary>
    /// Embedding rows start uniform in [-bound, bound]. DLRM's sqrt(1/rows) (0.003 for 100k rows) makes every dot
    /// product start near zero and learn slowly; 0.2 reached a higher AUC per sample in our runs (docs/training.md).
    /// </summary>
    public double EmbeddingInitBound { get; init; } = 0.2;

    /// <summary>Features entering the interaction: the bottom output and one embedding per table.</summary>
    public int InteractionFeatures => CategoricalFeatures + 1;

    /// <summary>Bottom output concatenated with the strict lower triangle of the pairwise dot products.</summary>
    public int TopInput => EmbeddingDim + InteractionFeatures * (InteractionFeatures - 1) / 2;

    /// <summary>Every layer width of the top MLP, input and logit included.</summary>
    public IReadOnlyList<int> TopLayers => [TopInput, .. TopHidden, 1];

    public long TotalRows => RowsPerTable.Sum(r => (long)r);

    /// <summary>One line per problem; empty when the shape is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(EmbeddingInitBound > 0) || double.IsInfinity(EmbeddingInitBound))
            errors.Add($"Model:EmbeddingInitBound must be a positive number, not {EmbeddingInitBound}.");
        if (EmbeddingDim < 1) errors.Add($"Model:EmbeddingDim must be at least 1, not {EmbeddingDim}.");
        if (RowsPerTable.Count != CategoricalFeatures)
            errors.Add($"Model:RowsPerTable must list {CategoricalFeatures} tables, not {RowsPerTable.Count}.");
        else if (RowsPerTable.Any(r => r < 2))
            errors.Add("Model:RowsPerTable: every table needs at least 2 rows (row 0 is reserved for missing values).");
        if (BottomLayers.Count < 2 || BottomLayers[0] != DenseFeatures)
            errors.Add($"Model:BottomLayers must start with the {DenseFeatures} dense inputs and have an output layer.");
        else if (BottomLayers[^1] != EmbeddingDim)
            errors.Add($"Model:BottomLayers must end with the embedding dimension {EmbeddingDim} (it feeds the dot interaction), not {BottomLayers[^1]}.");
        if (BottomLayers.Any(w => w < 1) || TopHidden.Any(w => w < 1))
            errors.Add("Model: every layer width must be at least 1.");
        return errors;
    }

    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
    }
}
