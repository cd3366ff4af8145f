using Recurring.Core.Model;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Model": the DLRM's shape.</summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    public int EmbeddingDim { get; set; } = 16;

    /// <summary>Rows of each of the 26 embedding tables.</summary>
    public int RowsPerTable { get; set; } = 100_000;

    public int[] BottomLayers { get; set; } = [13, 512, 256, 64, 16];
    public int[] TopHidden { get; set; } = [512, 256];

    public DlrmConfig ToDlrmConfig() => new()
    {
        EmbeddingDim = EmbeddingDim,
        RowsPerTable = Enumerable.Repeat(RowsPerTable, DlrmConfig.CategoricalFeatures).ToArray(),
        BottomLayers = BottomLayers,
        TopHidden = TopHidden,
    };

    public IEnumerable<string> Validate() => ToDlrmConfig().Validate();
}
