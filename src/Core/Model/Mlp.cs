using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Model;

/// <summary>
/// A stack of fully connected layers with ReLU between them. Its parameters are plain leaf tensors rather than
/// TorchSharp modules so that growth and pruning can swap a layer's weights for wider or narrower ones.
/// </summary>
public sealed class Mlp : IDisposable
{
    private readonly Tensor[] _weights;
    private readonly Tensor[] _biases;

    /// <param name="name">Prefix of the parameter names, e.g. "bottom".</param>
    /// <param name="layers">Every width, input first.</param>
    /// <param name="reluOnOutput">The bottom MLP's output feeds the interaction through a ReLU (as in DLRM); the top MLP's output is a logit.</param>
    public Mlp(string name, IReadOnlyList<int> layers, bool reluOnOutput, Device device, Generator? generator = null)
    {
        if (layers.Count < 2) throw new ArgumentException("An MLP needs an input and an output width.", nameof(layers));
        Name = name;
        FullWidths = layers.ToArray();
        ReluOnOutput = reluOnOutput;
        _weights = new Tensor[layers.Count - 1];
        _biases = new Tensor[layers.Count - 1];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < _weights.Length; i++)
        {
            // DLRM's initialisation: N(0, sqrt(2 / (fan_in + fan_out))) weights, N(0, sqrt(1 / fan_out)) biases.
            int fanIn = layers[i], fanOut = layers[i + 1];
            var weight = Normal([fanOut, fanIn], Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
            var bias = Normal([fanOut], Math.Sqrt(1.0 / fanOut), generator);
            SetLayer(i, weight.to(device), bias.to(device));
        }
    }

    /// <summary>What torch.normal(0, std, shape) computes, with its Scalar held for the call (see <see cref="HeldScalars"/>).</summary>
    internal static Tensor Normal(long[] shape, double std, Generator? generator)
    {
        using var scale = std.ToScalar();
        return randn(shape, generator: generator).mul_(scale);
    }

    public string Name { get; }
    public bool ReluOnOutput { get; }

    /// <summary>Widths the MLP was built with (input, hidden..., output).</summary>
    public IReadOnlyList<int> FullWidths { get; }

    public int LayerCount => _weights.Length;

    /// <summary>Current widths: hidden layers may be narrower than <see cref="FullWidths"/> while pruned.</summary>
    public int[] Widths => [(int)_weights[0].shape[1], .. _weights.Select(w => (int)w.shape[0])];

    public int[] HiddenWidths => Widths[1..^1];

    public Tensor Weight(int layer) => _weights[layer];
    public Tensor Bias(int layer) => _biases[layer];

    public static string WeightName(string mlp, int layer) => $"{mlp}.{layer}.weight";
    public static string BiasName(string mlp, int layer) => $"{mlp}.{layer}.bias";

    /// <summary>
    /// Replaces one layer's parameters. The MLP takes ownership of the new tensors (they leave any dispose scope)
    /// and disposes the old ones, so a caller building replacements inside a scope cannot leak or free them early.
    /// </summary>
    public void SetLayer(int layer, Tensor weight, Tensor bias)
    {
        if (weight.dim() != 2 || bias.dim() != 1 || bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"Layer {layer} of {Name}: weight [out, in] and bias [out] do not match.");
        var oldWeight = _weights[layer];
        var oldBias = _biases[layer];
        _weights[layer] = weight.detach().requires_grad_(true).DetachFromDisposeScope();
        _biases[layer] = bias.detach().requires_grad_(true).DetachFromDisposeScope();
        if (!ReferenceEquals(oldWeight, _weights[layer])) oldWeight?.Dispose();
        if (!ReferenceEquals(oldBias, _biases[layer])) oldBias?.Dispose();
    }

    public Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _weights.Length; i++)
        {
            x = nn.functional.linear(x, _weights[i], _biases[i]);
            if (i < _weights.Length - 1 || ReluOnOutput) x = nn.functional.relu(x);
        }
        return x;
    }

    public IEnumerable<(string Name, Tensor Value)> Parameters()
    {
        for (int i = 0; i < _weights.Length; i++)
        {
            yield return (WeightName(Name, i), _weights[i]);
            yield return (BiasName(Name, i), _biases[i]);
        }
    }

    public long ParameterCount => _weights.Sum(w => w.numel()) + _biases.Sum(b => b.numel());

    public void Dispose()
    {
        foreach (var tensor in _weights.Concat(_biases)) tensor?.Dispose();
    }
}
