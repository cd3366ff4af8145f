using Recurring.Checkpointing;

namespace Recurring.Daemon.Cli;

/// <summary>The model a command's --model names: one checkpoint folder, or a checkpoint directory's newest valid checkpoint.</summary>
public static class SavedModel
{
    public const string Description = "A checkpoint folder (ckpt-...) or a checkpoint directory (its newest valid checkpoint is used).";

    /// <summary>Rebuilds it on <paramref name="device"/>; anything missing, damaged or unreadable is an <see cref="IOException"/> or <see cref="InvalidDataException"/> naming the path.</summary>
    public static async Task<RestoredCheckpoint> RestoreAsync(string path, TorchSharp.torch.Device device, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        bool isCheckpoint = File.Exists(Path.Combine(full, CheckpointFiles.Manifest));
        var root = isCheckpoint ? Path.GetDirectoryName(full)! : full;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"No checkpoint folder at '{path}'.");
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = root });
        var id = Path.GetFileName(full);
        RestoredCheckpoint? restored;
        try
        {
            restored = await manager.RestoreLatestAsync(device, isCheckpoint ? m => m.Id == id : null, cancellationToken);
        }
        catch (CheckpointException e)
        {
            // A checkpoint in a newer format: this build cannot read it, and must not fall back to an older one.
            throw new InvalidDataException(e.Message, e);
        }
        return restored ?? throw new InvalidDataException(isCheckpoint
            ? $"Checkpoint '{path}' is damaged or incomplete (see `recurring checkpoints verify`)."
            : $"'{path}' holds no valid checkpoint.");
    }
}
