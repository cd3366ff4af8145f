using Recurring.Core.Data;
using Recurring.Core.Model;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Model": the DLRM's shape.</summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    public int EmbeddingDim { get; set; } = 16;

    /// <summary>Rows of each embedding table whose feature does not set its own (all 26 under the Criteo preset).</summary>
    public int RowsPerTable { get; set; } = 100_000;

    /// <summary>Embedding rows start uniform in [-bound, bound].</summary>
    public double EmbeddingInitBound { get; set; } = 0.2;

    // Null until configured, and absent from appsettings.json: configuration merges lists index by index (across
    // sources, and into a non-empty default), so a list can only be replaced whole if nothing below sets it.
    // Defaults (D-512-256-64-16 for D dense features, top 512-256) are applied after binding. The bottom MLP's
    // output stays 16 whatever Model:EmbeddingDim says: changing the dimension means choosing the layers too.
    public int[]? BottomLayers { get; set; }
    public int[]? TopHidden { get; set; }

    public DlrmConfig ToDlrmConfig(FeatureSchema features)
    {
        var defaults = new DlrmConfig();
        return new()
        {
            Features = features,
            EmbeddingDim = EmbeddingDim,
            EmbeddingInitBound = EmbeddingInitBound,
            BottomLayers = BottomLayers ?? [features.Dense.Count, .. defaults.BottomLayers.Skip(1)],
            TopHidden = TopHidden ?? defaults.TopHidden,
        };
    }
}
