namespace Recurring.Checkpointing;

/// <summary>The files of a checkpoint folder.</summary>
public static class CheckpointFiles
{
    /// <summary>Written last: a folder without it was never finished.</summary>
    public const string Manifest = "manifest.json";

    /// <summary>The model's tensors by their checkpoint names (<c>embeddings.weight</c>, <c>bottom.0.weight</c>, ...).</summary>
    public const string Model = "model.safetensors";

    /// <summary>The model's description for serving (<see cref="ModelDescription"/>): inputs, hashing, layers, tensor names.</summary>
    public const string Description = "model.json";

    /// <summary>Optimizer state: each MLP parameter's Adagrad sum under the parameter's name, and the row-wise embedding accumulator.</summary>
    public const string Optimizer = "optimizer.safetensors";

    /// <summary>
    /// An empty marker: retention never deletes a folder holding it. It is not hashed, so pinning and unpinning
    /// never rewrite what the manifest vouches for.
    /// </summary>
    public const string Pinned = "PINNED";
}
