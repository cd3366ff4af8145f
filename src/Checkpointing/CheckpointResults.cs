using Recurring.Core.Model;
using Recurring.Core.Training;

namespace Recurring.Checkpointing;

/// <summary>A checkpoint just written and verified, with its manifest. <see cref="Bytes"/> counts its tensor files.</summary>
public sealed record CheckpointInfo(string Id, long Bytes, TimeSpan Duration, CheckpointManifest Manifest)
{
    public double BytesPerSecond => Bytes / Duration.TotalSeconds;
}

/// <summary>A checkpoint as found in the store; <see cref="Problem"/> says why it cannot be used, null when it can.</summary>
public sealed record CheckpointStatus(string Id, DateTime CreatedUtc, bool Pinned, CheckpointManifest? Manifest, string? Problem)
{
    public bool IsValid => Problem is null;
}

/// <summary>A model and trainer rebuilt from a checkpoint, on the requested device; the caller owns both.</summary>
public sealed record RestoredCheckpoint(DlrmModel Model, DlrmTrainer Trainer, CheckpointManifest Manifest) : IDisposable
{
    public void Dispose()
    {
        Trainer.Dispose();
        Model.Dispose();
    }
}
