using static TorchSharp.torch;

namespace Recurring.Core.Model;

/// <summary>The click model: bottom MLP, fused embeddings, dot interaction, top MLP.</summary>
public sealed class DlrmModel : IDisposable
{
    public const string BottomName = "bottom";
    public const string TopName = "top";

    public DlrmModel(DlrmConfig config, Device device, long seed)
    {
        config.EnsureValid();
        Config = config;
        Device = device;
        var generator = new Generator((ulong)seed);
        Embeddings = new FusedEmbeddingCollection(config.RowsPerTable, config.EmbeddingDim, device, generator, config.EmbeddingInitBound);
        Bottom = new Mlp(BottomName, config.BottomLayers, reluOnOutput: true, device, generator);
        Top = new Mlp(TopName, config.TopLayers, reluOnOutput: false, device, generator);
        Interaction = new DotInteraction(config.InteractionFeatures, device);
    }

    public DlrmConfig Config { get; }
    public Device Device { get; }
    public FusedEmbeddingCollection Embeddings { get; }
    public Mlp Bottom { get; }
    public Mlp Top { get; }
    public DotInteraction Interaction { get; }

    public IEnumerable<Mlp> Mlps => [Bottom, Top];

    /// <param name="dense">[batch, 13], already log-transformed</param>
    /// <param name="embedded">[batch, 26, dim]</param>
    /// <returns>logits [batch]</returns>
    public Tensor Forward(Tensor dense, Tensor embedded)
    {
        var bottom = Bottom.Forward(dense);
        return Top.Forward(Interaction.Forward(bottom, embedded)).squeeze(1);
    }

    /// <summary>Every tensor that defines the model, by its checkpoint name.</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedTensors() =>
        Bottom.Parameters().Concat(Top.Parameters()).Prepend((FusedEmbeddingCollection.WeightName, Embeddings.Weight));

    public long ParameterCount => Embeddings.Weight.numel() + Bottom.ParameterCount + Top.ParameterCount;

    public void Dispose()
    {
        Embeddings.Dispose();
        Bottom.Dispose();
        Top.Dispose();
        Interaction.Dispose();
    }
}
