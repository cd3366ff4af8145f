using TorchSharp;
using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>
/// Per-neuron statistics of every hidden layer of both MLPs, summed over the steps they observe (on the device, never
/// read back until a prune asks): the Taylor term, and the sum and sum of squares of each activation.
/// </summary>
public sealed class ImportanceStatistics : IDisposable
{
    private readonly DlrmModel _model;
    private readonly Dictionary<(string Mlp, int Hidden), Layer> _layers = new();

    public ImportanceStatistics(DlrmModel model) => _model = model;

    /// <summary>Steps observed since the last <see cref="Reset"/>.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Adds one training step. Call after the backward pass and before the optimizer step, so the weights are the
    /// ones the gradients belong to. <paramref name="embedded"/> is the batch's embedding rows as the forward pass saw them.
    /// </summary>
    /// <param name="criterion">What to gather: Taylor reads weights and gradients only; activation variance reruns the MLPs' forward pass.</param>
    public void Observe(ImportanceCriterion criterion, Tensor dense, Tensor embedded)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (criterion == ImportanceCriterion.Taylor)
        {
            foreach (var mlp in _model.Mlps)
                for (int hidden = 0; hidden < mlp.LayerCount - 1; hidden++)
                    LayerOf(mlp, hidden, mlp.Weight(hidden).shape[0], dense.device).Taylor.add_(NeuronImportance.TaylorTerm(mlp, hidden), HeldScalars.One);
        }
        else if (criterion == ImportanceCriterion.ActivationVariance)
        {
            var bottomOutput = AccumulateActivations(_model.Bottom, dense);
            AccumulateActivations(_model.Top, _model.Interaction.Forward(bottomOutput, embedded.detach()));
        }
        Steps++;
    }

    /// <summary>[width] importance of one hidden layer under <paramref name="criterion"/>, from what was observed.</summary>
    public Tensor Importance(ImportanceCriterion criterion, Mlp mlp, int hidden)
    {
        if (criterion == ImportanceCriterion.WeightNorm || !_layers.TryGetValue((mlp.Name, hidden), out var layer))
            return NeuronImportance.Of(mlp, hidden);
        using var _ = no_grad();
        return criterion switch
        {
            ImportanceCriterion.Taylor => layer.Taylor.clone(),
            ImportanceCriterion.ActivationVariance => layer.Variance().mul(mlp.Weight(hidden + 1).pow(HeldScalars.Two).sum(dim: 0)),
            _ => throw new ArgumentOutOfRangeException(nameof(criterion), criterion, "Unknown importance criterion."),
        };
    }

    /// <summary>Mean activation of each neuron of a hidden layer over the observed samples, or null if none were.</summary>
    public Tensor? MeanActivation(Mlp mlp, int hidden)
    {
        if (!_layers.TryGetValue((mlp.Name, hidden), out var layer)) return null;
        using var samples = ((double)Math.Max(layer.Samples, 1)).ToScalar();
        return layer.Sum.div(samples);
    }

    public void Reset()
    {
        foreach (var layer in _layers.Values) layer.Dispose();
        _layers.Clear();
        Steps = 0;
    }

    public void Dispose() => Reset();

    /// <summary>Runs the MLP's forward pass layer by layer, summing the statistics of each hidden activation.</summary>
    private Tensor AccumulateActivations(Mlp mlp, Tensor input)
    {
        var x = input;
        for (int i = 0; i < mlp.LayerCount; i++)
        {
            x = nn.functional.linear(x, mlp.Weight(i), mlp.Bias(i));
            if (i < mlp.LayerCount - 1 || mlp.ReluOnOutput) x = nn.functional.relu(x);
            if (i == mlp.LayerCount - 1) break;
            var layer = LayerOf(mlp, i, x.shape[1], x.device);
            layer.Sum.add_(x.sum(dim: 0), HeldScalars.One);
            layer.SumOfSquares.add_(x.pow(HeldScalars.Two).sum(dim: 0), HeldScalars.One);
            layer.Samples += x.shape[0];
        }
        return x;
    }

    /// <summary>The accumulators of one hidden layer, started afresh if the layer's width changed.</summary>
    private Layer LayerOf(Mlp mlp, int hidden, long width, Device device)
    {
        if (!_layers.TryGetValue((mlp.Name, hidden), out var layer) || layer.Sum.shape[0] != width)
        {
            layer?.Dispose();
            _layers[(mlp.Name, hidden)] = layer = new Layer(width, device);
        }
        return layer;
    }

    private sealed class Layer : IDisposable
    {
        public Layer(long width, Device device)
        {
            Sum = zeros([width], device: device).DetachFromDisposeScope();
            SumOfSquares = zeros([width], device: device).DetachFromDisposeScope();
            Taylor = zeros([width], device: device).DetachFromDisposeScope();
        }

        public Tensor Sum { get; }
        public Tensor SumOfSquares { get; }
        public Tensor Taylor { get; }
        public long Samples { get; set; }

        public Tensor Variance()
        {
            using var samples = ((double)Math.Max(Samples, 1)).ToScalar();
            var mean = Sum.div(samples);
            return SumOfSquares.div(samples).sub(mean.pow(HeldScalars.Two)).clamp_min(HeldScalars.Zero);
        }

        public void Dispose()
        {
            Sum.Dispose();
            SumOfSquares.Dispose();
            Taylor.Dispose();
        }
    }
}
