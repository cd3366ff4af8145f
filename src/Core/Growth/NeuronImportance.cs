using System.ComponentModel;
using Recurring.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>How hidden neurons are ranked before a prune (Offline:Amgp:Importance).</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<ImportanceCriterion>))]
public enum ImportanceCriterion
{
    /// <summary>‖incoming weights and bias‖₂ × ‖outgoing weights‖₂: needs no statistics.</summary>
    WeightNorm,

    /// <summary>
    /// First-order Taylor estimate of the loss change from removing the neuron, |Σ_batch a·∂L/∂a|, summed over the
    /// last ImportanceSteps steps before the prune.
    /// </summary>
    Taylor,

    /// <summary>
    /// Variance of the neuron's contribution to the next layer, Var(a)·‖outgoing weights‖², over the last
    /// ImportanceSteps steps before the prune; the mean contribution of a removed neuron is folded into the next
    /// layer's bias, so only the varying part is lost.
    /// </summary>
    ActivationVariance,
}

/// <summary>
/// How much a hidden neuron matters. The weight-norm criterion reads the weights alone; the others read what
/// <see cref="ImportanceStatistics"/> gathered over recent steps.
/// </summary>
public static class NeuronImportance
{
    /// <summary>The weight-norm criterion: ‖incoming weights and bias‖₂ × ‖outgoing weights‖₂.</summary>
    /// <param name="hidden">Hidden layer index: the output of layer <paramref name="hidden"/>, 0-based.</param>
    /// <returns>[width] importance per neuron.</returns>
    public static Tensor Of(Mlp mlp, int hidden)
    {
        using var _ = no_grad();
        var incoming = mlp.Weight(hidden).pow(HeldScalars.Two).sum(dim: 1).add(mlp.Bias(hidden).pow(HeldScalars.Two), HeldScalars.One).sqrt();
        var outgoing = mlp.Weight(hidden + 1).pow(HeldScalars.Two).sum(dim: 0).sqrt();
        return incoming * outgoing;
    }

    /// <summary>
    /// One step's first-order Taylor term per neuron, from the outgoing weights and their gradient alone:
    /// Σ_batch aⱼ·∂L/∂aⱼ = Σ_k W[k,j]·∂L/∂W[k,j], because ∂L/∂W[k,j] = Σ_batch δₖ·aⱼ and ∂L/∂aⱼ = Σ_k W[k,j]·δₖ.
    /// </summary>
    public static Tensor TaylorTerm(Mlp mlp, int hidden)
    {
        using var _ = no_grad();
        var outgoing = mlp.Weight(hidden + 1);
        return outgoing.mul(outgoing.grad!).sum(dim: 0).abs();
    }

    /// <summary>The <paramref name="width"/> highest-scoring neurons, in their original order.</summary>
    public static Tensor MostImportant(Tensor scores, int width)
    {
        var (_, indices) = scores.topk(width);
        return indices.sort().Values;
    }

    /// <summary>The <paramref name="width"/> most important neurons by weight norm, in their original order.</summary>
    public static Tensor MostImportant(Mlp mlp, int hidden, int width) => MostImportant(Of(mlp, hidden), width);

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
            var squares = mlp.Weight(hidden).pow(HeldScalars.Two).sum(dim: 1)
                .add(mlp.Bias(hidden).pow(HeldScalars.Two), HeldScalars.One)
                .add(mlp.Weight(hidden + 1).pow(HeldScalars.Two).sum(dim: 0), HeldScalars.One);
            total = total.add(squares.add(floor, HeldScalars.One).sqrt().sum(), HeldScalars.One);
        }
        return total;
    }
}
