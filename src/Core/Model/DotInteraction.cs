using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Model;

/// <summary>
/// DLRM's dot interaction: all pairwise dot products between the bottom MLP output and the embeddings, keeping the
/// strict lower triangle (each pair once, no self products), concatenated after the bottom output.
/// </summary>
public sealed class DotInteraction : IDisposable
{
    private readonly Tensor _lowerTriangle;

    public DotInteraction(int features, Device device)
    {
        Features = features;
        using var scope = NewDisposeScope();
        var pairs = tril_indices(features, features, offset: -1);
        using var width = features.ToScalar();
        _lowerTriangle = pairs[0].mul(width).add(pairs[1], HeldScalars.One).to(device).DetachFromDisposeScope();
    }

    public int Features { get; }
    public int Pairs => Features * (Features - 1) / 2;

    /// <summary>
    /// The products the interaction keeps, in its output order, each as the flat index i * Features + j of the pair
    /// (i, j), i > j: what an exported graph must gather to compute exactly this interaction.
    /// </summary>
    public long[] KeptProducts()
    {
        using var scope = NewDisposeScope();
        return _lowerTriangle.to(CPU).data<long>().ToArray();
    }

    /// <param name="bottom">[batch, dim]</param>
    /// <param name="embeddings">[batch, features - 1, dim]</param>
    /// <returns>[batch, dim + pairs]</returns>
    public Tensor Forward(Tensor bottom, Tensor embeddings)
    {
        var all = cat([bottom.unsqueeze(1), embeddings], 1);
        var products = all.bmm(all.transpose(1, 2)).view(bottom.shape[0], Features * Features);
        return cat([bottom, products.index_select(1, _lowerTriangle)], 1);
    }

    public void Dispose() => _lowerTriangle.Dispose();
}
