using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;

namespace Recurring.Daemon.Checkpoints;

/// <summary>
/// Applies Checkpoints:KeepLast and KeepDailyDays after each checkpoint. The one just written was verified as it was
/// written, so it is not read and hashed again.
/// </summary>
public sealed class RetentionObserver(CheckpointManager manager, ILogger<RetentionObserver> logger) : ICheckpointObserver
{
    public async Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            await manager.ApplyRetentionAfterWriteAsync(checkpoint.Info.Id, cancellationToken);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Retention could not delete old checkpoints: {Reason}", e.Message);
        }
    }
}
