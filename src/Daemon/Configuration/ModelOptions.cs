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

    // Null until configured, and absent from appsettings.json: configuration merges lists index by index (across
    // sources, and into a non-empty default), so a list can only be replaced whole if nothing below sets it.
    // Defaults (13-512-256-64-16, top 512-256) are applied after binding.
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
