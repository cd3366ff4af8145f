using Recurring.Core.Model;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Model": the DLRM's shape.</summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    public int EmbeddingDim { get; set; } = 16;

    /// <summary>Rows of each of the 26 embedding tables.</summary>
    public int RowsPerTable { get; set; } = 100_000;

    /// <summary>Embedding rows start uniform in [-bound, bound].</summary>
    public double EmbeddingInitBound { get; set; } = 0.2;

    // Null until configured: the configuration binder appends configured array items to a non-empty default
    // instead of replacing it, so the defaults are applied after binding.
    public int[]? BottomLayers { get; set; }
    public int[]? TopHidden { get; set; }

    public DlrmConfig ToDlrmConfig()
    {
        var defaults = new DlrmConfig();
        return new()
        {
            EmbeddingDim = EmbeddingDim,
            EmbeddingInitBound = EmbeddingInitBound,
            RowsPerTable = Enumerable.Repeat(RowsPerTable, DlrmConfig.CategoricalFeatures).ToArray(),
            BottomLayers = BottomLayers ?? defaults.BottomLayers,
            TopHidden = TopHidden ?? defaults.TopHidden,
        };
    }

    public IEnumerable<string> Validate() => ToDlrmConfig().Validate();
}
