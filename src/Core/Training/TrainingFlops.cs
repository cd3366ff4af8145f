using Recurring.Core.Model;

namespace Recurring.Core.Training;

/// <summary>
/// Floating-point operations of one training step (forward + backward) at the model's current widths, per sample.
/// Linear layer in->out: forward 2·in·out (multiply-add) + out (bias) + out (ReLU where present); backward
/// 2·in·out for the weight gradient, 2·in·out for the input gradient (skipped for the bottom MLP's first layer,
/// whose input needs none), out for the bias gradient, out for ReLU. Dot interaction over F features of
/// dimension D: forward 2·F²·D for the batched product, backward twice that (both operands are the same features).
/// Embedding gathers and optimizer updates are memory-bound and not counted.
/// </summary>
public static class TrainingFlops
{
    public static long MlpPerSample(IReadOnlyList<int> widths, bool reluOnOutput, bool inputNeedsGradient)
    {
        long flops = 0;
        for (int i = 0; i + 1 < widths.Count; i++)
        {
            long input = widths[i], output = widths[i + 1];
            bool relu = i + 2 < widths.Count || reluOnOutput;
            long forward = 2 * input * output + output + (relu ? output : 0);
            long backward = 2 * input * output + (i > 0 || inputNeedsGradient ? 2 * input * output : 0) + output + (relu ? output : 0);
            flops += forward + backward;
        }
        return flops;
    }

    public static long InteractionPerSample(int features, int dim) => 3L * 2 * features * features * dim;

    /// <summary>MLP FLOPs per sample of the model as it is now.</summary>
    public static long MlpPerSample(DlrmModel model) =>
        MlpPerSample(model.Bottom.Widths, model.Bottom.ReluOnOutput, inputNeedsGradient: false) +
        MlpPerSample(model.Top.Widths, model.Top.ReluOnOutput, inputNeedsGradient: true);

    /// <summary>MLP FLOPs per sample of the model at full width.</summary>
    public static long FullMlpPerSample(DlrmModel model) =>
        MlpPerSample(model.Bottom.FullWidths, model.Bottom.ReluOnOutput, inputNeedsGradient: false) +
        MlpPerSample(model.Top.FullWidths, model.Top.ReluOnOutput, inputNeedsGradient: true);

    public static long InteractionPerSample(DlrmModel model) =>
        InteractionPerSample(model.Interaction.Features, model.Config.EmbeddingDim);
}

/// <summary>Running FLOPs of a training run next to what the full-width model would have spent.</summary>
public sealed class FlopsMeter
{
    public double MlpFlops { get; private set; }
    public double InteractionFlops { get; private set; }
    public double FullWidthMlpFlops { get; private set; }

    public double TotalFlops => MlpFlops + InteractionFlops;
    public double FullWidthTotalFlops => FullWidthMlpFlops + InteractionFlops;

    /// <summary>MLP FLOPs spent relative to training at full width throughout.</summary>
    public double MlpRatioToDense => FullWidthMlpFlops == 0 ? 1 : MlpFlops / FullWidthMlpFlops;

    public double TotalRatioToDense => FullWidthTotalFlops == 0 ? 1 : TotalFlops / FullWidthTotalFlops;

    public void Add(DlrmModel model, int samples)
    {
        MlpFlops += (double)TrainingFlops.MlpPerSample(model) * samples;
        FullWidthMlpFlops += (double)TrainingFlops.FullMlpPerSample(model) * samples;
        InteractionFlops += (double)TrainingFlops.InteractionPerSample(model) * samples;
    }

    /// <summary>Restores the totals from a checkpoint.</summary>
    public void Set(double mlp, double interaction, double fullWidthMlp)
    {
        MlpFlops = mlp;
        InteractionFlops = interaction;
        FullWidthMlpFlops = fullWidthMlp;
    }
}
