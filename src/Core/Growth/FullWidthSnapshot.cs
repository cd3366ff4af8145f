using Recurring.Core.Model;
using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>
/// One MLP's full-width parameters and optimizer state as they were right before a prune, and which neurons each
/// hidden layer kept (indices into its full width), so that a later growth can put the removed neurons back as they
/// were (<see cref="Regrowth.Restore"/>). Made by <see cref="NeuronSurgery.Snapshot"/>, used by
/// <see cref="NeuronSurgery.Restore"/>.
/// </summary>
public sealed class FullWidthSnapshot : IDisposable
{
    private readonly Tensor[] _weights;
    private readonly Tensor[] _biases;
    private readonly Dictionary<string, Tensor> _state = new();
    private readonly Tensor?[] _kept;

    internal FullWidthSnapshot(Mlp mlp, MlpOptimizer optimizer)
    {
        using var _ = no_grad();
        _weights = Enumerable.Range(0, mlp.LayerCount).Select(layer => mlp.Weight(layer).detach().clone().DetachFromDisposeScope()).ToArray();
        _biases = Enumerable.Range(0, mlp.LayerCount).Select(layer => mlp.Bias(layer).detach().clone().DetachFromDisposeScope()).ToArray();
        foreach (var (name, _) in mlp.Parameters())
            if (optimizer.State(name) is { } state) _state[name] = state.clone().DetachFromDisposeScope();
        _kept = new Tensor?[mlp.LayerCount - 1];
    }

    /// <summary>Records the neurons hidden layer <paramref name="hidden"/> kept ([kept], ascending indices into its full width).</summary>
    public void RecordKept(int hidden, Tensor keep)
    {
        _kept[hidden]?.Dispose();
        _kept[hidden] = keep.clone().DetachFromDisposeScope();
    }

    /// <summary>The neurons hidden layer <paramref name="hidden"/> kept, or null when it was not pruned (all kept).</summary>
    internal Tensor? Kept(int hidden) => _kept[hidden];

    internal Tensor Weight(int layer) => _weights[layer];
    internal Tensor Bias(int layer) => _biases[layer];
    internal Tensor? State(string name) => _state.GetValueOrDefault(name);

    public void Dispose()
    {
        foreach (var tensor in _weights.Concat(_biases).Concat(_state.Values)) tensor.Dispose();
        foreach (var keep in _kept) keep?.Dispose();
    }
}
