using Recurring.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>
/// How much a hidden neuron matters: the L2 norm of what flows in (its weights and bias) times the L2 norm of what
/// flows out (its column in the next layer). A neuron with either side near zero contributes little to the output.
/// </summary>
public static class NeuronImportance
{
    /// <param name="hidden">Hidden layer index: the output of layer <paramref name="hidden"/>, 0-based.</param>
    /// <returns>[width] importance per neuron.</returns>
    public static Tensor Of(Mlp mlp, int hidden)
    {
        using var _ = no_grad();
        var incoming = mlp.Weight(hidden).square().sum(dim: 1).add(mlp.Bias(hidden).square(), HeldScalars.One).sqrt();
        var outgoing = mlp.Weight(hidden + 1).square().sum(dim: 0).sqrt();
        return incoming * outgoing;
    }

    /// <summary>The <paramref name="width"/> most important neurons, in their original order.</summary>
    public static Tensor MostImportant(Mlp mlp, int hidden, int width)
    {
        var (_, indices) = Of(mlp, hidden).topk(width);
        return indices.sort().Values;
    }

    /// <summary>
    /// Group lasso over whole neurons: the sum over neurons of the L2 norm of all weights attached to the neuron
    /// (incoming row, bias, outgoing column). Differentiable; drives unimportant neurons towards exactly zero.
    /// </summary>
    public static Tensor GroupLasso(Mlp mlp)
    {
        // The small floor keeps the gradient of sqrt finite for a neuron that is already exactly zero.
        using var floor = 1e-12.ToScalar();
        var total = zeros([], device: mlp.Weight(0).device);
        for (int hidden = 0; hidden < mlp.LayerCount - 1; hidden++)
        {
            var squares = mlp.Weight(hidden).square().sum(dim: 1)
                .add(mlp.Bias(hidden).square(), HeldScalars.One)
                .add(mlp.Weight(hidden + 1).square().sum(dim: 0), HeldScalars.One);
            total = total.add(squares.add(floor, HeldScalars.One).sqrt().sum(), HeldScalars.One);
        }
        return total;
    }
}
