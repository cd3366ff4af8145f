using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>
/// Grows a trained model to a schema that appends features, so that it computes exactly what it computed before
/// until it learns from them (the same idea as AMGP's neuron growth):
/// <list type="bullet">
/// <item>an appended dense feature is a new bottom-MLP input column with zero weights;</item>
/// <item>an appended sparse feature is a new embedding table (initialised as any table, its rows after the existing
/// ones in the fused tensor) whose dot products with every other interaction feature are new top-MLP input columns
/// with zero weights.</item>
/// </list>
/// Everything else, pruned widths and optimizer state included, is carried over; the new weights' optimizer state
/// starts at zero, as for a fresh parameter.
/// </summary>
public static class FeatureGrowth
{
    /// <summary>
    /// A new model and trainer under <paramref name="grown"/>, built from <paramref name="trained"/> (which is left
    /// as it was; the caller still owns and disposes it). <paramref name="seed"/> draws the new tables' rows.
    /// </summary>
    /// <exception cref="ArgumentException">The schema does not only append features to the model's.</exception>
    public static DlrmTrainer Grow(DlrmTrainer trained, FeatureSchema grown, long seed)
    {
        var old = trained.Model;
        var comparison = grown.CompareWith(old.Config.Features);
        if (!comparison.IsCompatible) throw new ArgumentException(string.Join(Environment.NewLine, comparison.Differences));
        var config = old.Config with { Features = grown, BottomLayers = [grown.Dense.Count, .. old.Config.BottomLayers.Skip(1)] };
        var model = new DlrmModel(config, old.Device, seed, old.Statistics);
        DlrmTrainer? trainer = null;
        try
        {
            trainer = new DlrmTrainer(model, trained.Options);
            trainer.SetCounters(trained.Steps, trained.Samples);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            CopyEmbeddings(trained, trainer);
            var bottomColumns = tensor(Enumerable.Range(0, old.Config.DenseFeatures).Select(c => (long)c).ToArray(), device: old.Device);
            CopyMlp(trained, trainer, old.Bottom, model.Bottom, bottomColumns);
            CopyMlp(trained, trainer, old.Top, model.Top, TopInputColumns(old.Config, config).to(old.Device));
            return trainer;
        }
        catch
        {
            trainer?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where each top-MLP input of <paramref name="before"/> sits in <paramref name="after"/>: the bottom output
    /// first, then the pair (i, k), i &gt; k, of interaction features at <c>dim + i (i - 1) / 2 + k</c>.
    /// </summary>
    public static Tensor TopInputColumns(DlrmConfig before, DlrmConfig after)
    {
        // Interaction features by identity: -1 for the bottom output, else the sparse feature's schema index (old
        // features keep theirs: the new ones are appended).
        int[] oldOrder = [-1, .. before.InteractionOrder];
        int[] newOrder = [-1, .. after.InteractionOrder];
        var newPosition = new Dictionary<int, int>();
        for (int i = 0; i < newOrder.Length; i++) newPosition[newOrder[i]] = i;

        var columns = new long[before.TopInput];
        int dim = before.EmbeddingDim;
        for (int c = 0; c < dim; c++) columns[c] = c;
        for (int i = 1; i < oldOrder.Length; i++)
        {
            for (int k = 0; k < i; k++)
            {
                int a = newPosition[oldOrder[i]], b = newPosition[oldOrder[k]];
                columns[dim + PairIndex(i, k)] = dim + PairIndex(Math.Max(a, b), Math.Min(a, b));
            }
        }
        return tensor(columns);
    }

    private static int PairIndex(int i, int k) => i * (i - 1) / 2 + k;

    /// <summary>The old tables are a prefix of the new fused tensor: their rows and row-wise state are copied over.</summary>
    private static void CopyEmbeddings(DlrmTrainer from, DlrmTrainer to)
    {
        long rows = from.Model.Embeddings.TotalRows;
        to.Model.Embeddings.Weight.narrow(0, 0, rows).copy_(from.Model.Embeddings.Weight);
        if (from.EmbeddingOptimizer is { } oldState && to.EmbeddingOptimizer is { } newState)
            newState.Accumulator.narrow(0, 0, rows).copy_(oldState.Accumulator);
    }

    /// <summary>Copies every layer and its optimizer state; layer 0's input columns go to <paramref name="inputColumns"/>, the others are zero.</summary>
    private static void CopyMlp(DlrmTrainer from, DlrmTrainer to, Mlp source, Mlp target, Tensor inputColumns)
    {
        for (int layer = 0; layer < source.LayerCount; layer++)
        {
            var weight = layer == 0 ? Spread(source.Weight(0), inputColumns, target.FullWidths[0]) : source.Weight(layer).detach().clone();
            target.SetLayer(layer, weight, source.Bias(layer).detach().clone());
            CopyState(from, to, Mlp.BiasName(source.Name, layer), s => s.clone());
            CopyState(from, to, Mlp.WeightName(source.Name, layer), s => layer == 0 ? Spread(s, inputColumns, target.FullWidths[0]) : s.clone());
        }
    }

    /// <summary>[out, in] to [out, width]: column c of <paramref name="weight"/> becomes column columns[c]; the rest are zero.</summary>
    private static Tensor Spread(Tensor weight, Tensor columns, int width) =>
        zeros([weight.shape[0], width], weight.dtype, weight.device).index_copy_(1, columns, weight.detach());

    private static void CopyState(DlrmTrainer from, DlrmTrainer to, string name, Func<Tensor, Tensor> reshape)
    {
        if (from.MlpOptimizer.State(name) is { } state) to.MlpOptimizer.SetState(name, reshape(state));
    }
}
