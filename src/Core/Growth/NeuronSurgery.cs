using TorchSharp;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>
/// Structural changes to one hidden layer of an MLP, applied to the weights and, consistently, to the optimizer
/// state of every tensor that changes shape. Neuron j of hidden layer h is row j of layer h's weight and bias and
/// column j of layer h+1's weight.
/// </summary>
public sealed class NeuronSurgery(MlpOptimizer optimizer)
{
    /// <summary>Keeps only the neurons at <paramref name="keep"/> (ascending indices).</summary>
    /// <param name="meanActivation">
    /// When given ([width], every neuron's mean activation), the removed neurons' mean contribution is added to the
    /// next layer's bias, so on average the next layer sees what it saw before the prune.
    /// </param>
    public void Prune(Mlp mlp, int hidden, Tensor keep, Tensor? meanActivation = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (meanActivation is not null)
        {
            using var zero = 0.0.ToScalar();
            var removedMean = meanActivation.clone().index_fill_(0, keep, zero);
            var next = mlp.Weight(hidden + 1);
            mlp.SetLayer(hidden + 1, next, mlp.Bias(hidden + 1).add(next.matmul(removedMean), HeldScalars.One));
        }
        ReplaceHidden(mlp, hidden,
            incoming => incoming.index_select(0, keep),
            outgoing => outgoing.index_select(1, keep));
    }

    /// <summary>
    /// Appends neurons up to <paramref name="width"/>: small random incoming weights (<paramref name="initScale"/> ×
    /// the layer's initial spread), zero bias, and outgoing weights at <paramref name="outgoingScale"/> × the next
    /// layer's initial spread; at 0 they are zero, so the MLP computes exactly the same function right after growth.
    /// Their optimizer state starts at zero, as for a fresh parameter, or at the kept neurons' mean (<paramref name="state"/>).
    /// </summary>
    public void Grow(Mlp mlp, int hidden, int width, Generator generator, double initScale, double outgoingScale,
        RegrownOptimizerState state = RegrownOptimizerState.Zero)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = mlp.Weight(hidden);
        int current = (int)weight.shape[0];
        if (width <= current) return;
        int added = width - current;
        long fanIn = weight.shape[1];
        double spread = initScale * Math.Sqrt(2.0 / (fanIn + mlp.FullWidths[hidden + 1]));
        var newIncoming = Mlp.Normal([added, fanIn], spread, generator).to(weight.device);

        mlp.SetLayer(hidden,
            cat([weight, newIncoming], 0),
            cat([mlp.Bias(hidden), zeros([added], device: weight.device)], 0));
        var next = mlp.Weight(hidden + 1);
        var newOutgoing = outgoingScale == 0
            ? zeros([next.shape[0], added], device: next.device)
            : Mlp.Normal([next.shape[0], added], outgoingScale * Math.Sqrt(2.0 / (mlp.FullWidths[hidden + 1] + mlp.FullWidths[hidden + 2])), generator).to(next.device);
        mlp.SetLayer(hidden + 1, cat([next, newOutgoing], 1), mlp.Bias(hidden + 1));

        // Rows of the incoming weight and bias, columns of the outgoing weight: the kept neurons' mean along that axis, or zero.
        Tensor Start(Tensor kept, long axis) => state == RegrownOptimizerState.KeptMean
            ? kept.mean([axis], keepdim: true).expand(axis == 0 ? [added, .. kept.shape[1..]] : [kept.shape[0], added])
            : zeros(axis == 0 ? [added, .. kept.shape[1..]] : [kept.shape[0], added], device: kept.device);
        ReshapeState(Mlp.WeightName(mlp.Name, hidden), s => cat([s, Start(s, 0)], 0));
        ReshapeState(Mlp.BiasName(mlp.Name, hidden), s => cat([s, Start(s, 0)], 0));
        ReshapeState(Mlp.WeightName(mlp.Name, hidden + 1), s => cat([s, Start(s, 1)], 1));
    }

    /// <summary>Copies the MLP's full-width parameters and optimizer state; call before its first prune.</summary>
    public FullWidthSnapshot Snapshot(Mlp mlp) => new(mlp, optimizer);

    /// <summary>
    /// Brings every pruned hidden layer back to full width with the removed neurons as <paramref name="snapshot"/>
    /// holds them: weight entries, biases and optimizer state between kept neurons take their current (trained)
    /// values, every entry that touches a removed neuron its value from before the prune.
    /// </summary>
    public void Restore(Mlp mlp, FullWidthSnapshot snapshot)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int layer = 0; layer < mlp.LayerCount; layer++)
        {
            // Layer l maps hidden layer l-1 (its columns) to hidden layer l (its rows); the output layer has no hidden rows.
            var rows = layer < mlp.LayerCount - 1 ? snapshot.Kept(layer) : null;
            var columns = layer > 0 ? snapshot.Kept(layer - 1) : null;
            if (rows is null && columns is null) continue;
            mlp.SetLayer(layer,
                Embed(snapshot.Weight(layer), mlp.Weight(layer), rows, columns),
                rows is null ? mlp.Bias(layer) : Embed(snapshot.Bias(layer), mlp.Bias(layer), rows, null));
            RestoreState(Mlp.WeightName(mlp.Name, layer), snapshot.State(Mlp.WeightName(mlp.Name, layer)) ?? zeros_like(snapshot.Weight(layer)), rows, columns);
            if (rows is not null) RestoreState(Mlp.BiasName(mlp.Name, layer), snapshot.State(Mlp.BiasName(mlp.Name, layer)) ?? zeros_like(snapshot.Bias(layer)), rows, null);
        }
    }

    /// <param name="saved">The state before the prune; zero where the parameter had none yet.</param>
    private void RestoreState(string name, Tensor saved, Tensor? rows, Tensor? columns)
    {
        if (optimizer.State(name) is { } current) optimizer.SetState(name, Embed(saved, current, rows, columns));
    }

    /// <summary>
    /// <paramref name="full"/> ([out, in] or [out]) with the entries at (<paramref name="rows"/>, <paramref name="columns"/>)
    /// replaced by <paramref name="current"/> ([rows, columns]); a null index means every row or column.
    /// </summary>
    private static Tensor Embed(Tensor full, Tensor current, Tensor? rows, Tensor? columns)
    {
        var result = full.clone();
        if (rows is not null && columns is not null)
        {
            var block = result.index_select(0, rows);
            block.index_copy_(1, columns, current);
            result.index_copy_(0, rows, block);
        }
        else if (rows is not null) result.index_copy_(0, rows, current);
        else result.index_copy_(1, columns!, current);
        return result;
    }

    private void ReplaceHidden(Mlp mlp, int hidden, Func<Tensor, Tensor> rows, Func<Tensor, Tensor> columns)
    {
        mlp.SetLayer(hidden, rows(mlp.Weight(hidden)), rows(mlp.Bias(hidden)));
        mlp.SetLayer(hidden + 1, columns(mlp.Weight(hidden + 1)), mlp.Bias(hidden + 1));
        ReshapeState(Mlp.WeightName(mlp.Name, hidden), rows);
        ReshapeState(Mlp.BiasName(mlp.Name, hidden), rows);
        ReshapeState(Mlp.WeightName(mlp.Name, hidden + 1), columns);
    }

    private void ReshapeState(string name, Func<Tensor, Tensor> reshape)
    {
        var state = optimizer.State(name);
        if (state is not null) optimizer.SetState(name, reshape(state));
    }
}
