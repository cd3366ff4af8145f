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

    public int BatchSize { get; set; } = 2048;
    public long Seed { get; set; } = 1;
    public OptimizerOptions Optimizer { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        if (!DeviceSelection.IsValid(Device))
            yield return $"Training:Device must be auto, cpu, cuda or cuda:N, not '{Device}'.";
        if (Threads < 0) yield return $"Training:Threads must be 0 (default) or positive, not {Threads}.";
        if (BatchSize < 1) yield return $"Training:BatchSize must be at least 1, not {BatchSize}.";
        foreach (var error in Optimizer.Validate()) yield return error;
    }
}
