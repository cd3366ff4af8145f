using Microsoft.Extensions.Hosting;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;

namespace Recurring.Daemon.Checkpoints;

/// <summary>Queues every checkpoint the daemon writes for its remote copy; returns at once, so training never waits for an upload.</summary>
public sealed class RemoteCopyObserver(CheckpointReplicator replicator) : ICheckpointObserver
{
    public Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken)
    {
        replicator.Enqueue(checkpoint.Info.Id, pinned: File.Exists(Path.Combine(checkpoint.Path, CheckpointFiles.Pinned)));
        return Task.CompletedTask;
    }
}

/// <summary>Runs the replicator's upload loop for the daemon's lifetime, after queueing what an earlier run left without a copy.</summary>
public sealed class RemoteReplicationService(CheckpointReplicator replicator) : BackgroundService
{
    /// <summary>Stops after training (registered before it), so the final checkpoint's copy gets the rest of the shutdown time.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await replicator.DrainAsync(cancellationToken);
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await replicator.CatchUpAsync(stoppingToken);
            await replicator.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what still waits is on the local volume and is queued again at the next start.
        }
    }
}
