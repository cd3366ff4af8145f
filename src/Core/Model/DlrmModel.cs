using Recurring.Core.Data;
using static TorchSharp.torch;

namespace Recurring.Core.Model;

/// <summary>The click model: bottom MLP, fused embeddings, dot interaction, top MLP.</summary>
public sealed class DlrmModel : IDisposable
{
    public const string BottomName = "bottom";
    public const string TopName = "top";

    /// <param name="statistics">The standardized features' moments on the offline data; required when the schema
    /// standardizes any feature.</param>
    public DlrmModel(DlrmConfig config, Device device, long seed, FeatureStatistics? statistics = null)
    {
        config.EnsureValid();
        Config = config;
        Device = device;
        Statistics = statistics ?? FeatureStatistics.None;
        // Fails now, not at the first event, when a standardized feature has no moments.
        Encoder = new FeatureEncoder(config.Features, Statistics);
        var generator = new Generator((ulong)seed);
        Embeddings = new FusedEmbeddingCollection(config.Features, config.EmbeddingDim, device, generator, config.EmbeddingInitBound);
        Bottom = new Mlp(BottomName, config.BottomLayers, reluOnOutput: true, device, generator);
        Top = new Mlp(TopName, config.TopLayers, reluOnOutput: false, device, generator);
        Interaction = new DotInteraction(config.InteractionFeatures, device);
    }

    public DlrmConfig Config { get; }
    public Device Device { get; }

    /// <summary>What the model knows of the offline data beyond its weights: the standardized features' moments.</summary>
    public FeatureStatistics Statistics { get; }

    /// <summary>Turns events into this model's inputs.</summary>
    public FeatureEncoder Encoder { get; }
    public FusedEmbeddingCollection Embeddings { get; }
    public Mlp Bottom { get; }
    public Mlp Top { get; }
    public DotInteraction Interaction { get; }

    public IEnumerable<Mlp> Mlps => [Bottom, Top];

    /// <param name="dense">[batch, D], already transformed</param>
    /// <param name="embedded">[batch, S, dim], in <see cref="DlrmConfig.InteractionOrder"/></param>
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
