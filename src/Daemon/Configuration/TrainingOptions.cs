using Recurring.Core.Training;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Training": where and how the model trains, in both phases.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>auto (CUDA when available), cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>
    /// Bit-reproducible training on the CPU: one intra-op thread, so the same events in the same batches give the
    /// same weights. Slower; the crash-consistency tests rely on it.
    /// </summary>
    public bool Deterministic { get; set; }

    /// <summary>Intra-op threads; 0 keeps libtorch's default (one per core).</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Events per optimizer step of the offline phase (streaming batches by Streaming:MaxBatchSize). In one pass over
    /// the history, smaller steps learn more per event: 512 beat 2,048, and 1,024 with a retuned MLP learning rate,
    /// at every size from 300,000 to 5,000,000 events (docs/training.md).
    /// </summary>
    [AtLeast(1)]
    public int BatchSize { get; set; } = 512;
    public long Seed { get; set; } = 1;

    /// <summary>
    /// Scales a step's whole gradient down to this L2 norm when it is larger (both phases; not stored in checkpoints,
    /// so it can be changed for a restart). 0 turns clipping off. recurring_gradient_norm shows the norms before clipping.
    /// </summary>
    public double ClipGradientNorm { get; set; }
    public OptimizerOptions Optimizer { get; set; } = new();
}
