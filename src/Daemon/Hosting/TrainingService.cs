using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Offline;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Hosting;

/// <summary>
/// The daemon's one job, from start to stop, as a decision between phases. It checks the brokers first (an unreachable
/// Kafka is reported within seconds, not after the offline phase; see <see cref="KafkaEndpoint.CheckAtStartAsync"/>),
/// then restores the newest valid checkpoint
/// and goes on from there: a streaming checkpoint streams from its stored offsets; the offline phase's final model
/// streams from Kafka:StartFrom; an interrupted offline run resumes offline; nothing at all runs the offline phase
/// (AMGP on the configured history) first, unless there are checkpoints of which none verifies (see
/// <see cref="CheckpointOptions.AllowFreshStart"/>). With Checkpoints:Remote, the object store's checkpoints count too.
/// A failure stops the host with a non-zero exit code, so systemd or
/// Kubernetes restarts it from the last checkpoint.
/// </summary>
public sealed class TrainingService(
    RecurringSettings settings,
    CheckpointWriter checkpoints,
    OfflineRunner offline,
    StreamingPipeline streaming,
    KafkaEndpoint kafka,
    Heartbeat heartbeat,
    StatusCell<ActivityState> activity,
    IHostApplicationLifetime lifetime,
    ILogger<TrainingService> logger,
    RemoteCheckpointStore? remote = null) : BackgroundService
{
    /// <summary>How long the host's give-up still leaves training to record why it could not finish.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(5);

    /// <summary>Cancelled when the host's shutdown timeout runs out; the stopping token only asks for a graceful stop.</summary>
    private readonly CancellationTokenSource _shutdownTimedOut = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Training blocks its thread for long stretches; keep it off the host's start-up path.
        Task.Run(() => RunAsync(stoppingToken), CancellationToken.None);

    /// <summary>
    /// A stop drains: what was read is trained and dead-lettered and a final checkpoint written, for as long as the
    /// host's shutdown timeout (<paramref name="cancellationToken"/>) allows. A stop that ends without that checkpoint
    /// exits with code 1.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(_shutdownTimedOut.Cancel))
            await base.StopAsync(cancellationToken);
        if (ExecuteTask is not { IsCompleted: false } running) return;
        await Task.WhenAny(running, Task.Delay(AbandonGrace, CancellationToken.None));
        if (running.IsCompleted) return;
        logger.LogError("The final checkpoint was not written: the shutdown timeout ran out first; the next start resumes from the last checkpoint");
        Environment.ExitCode = 1;
    }

    public override void Dispose()
    {
        base.Dispose();
        _shutdownTimedOut.Dispose();
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Only once the whole host is up, the admin port bound: a host that cannot start (the port is taken) has
            // touched no checkpoint.
            await lifetime.WaitForStartAsync(stoppingToken);
            var torch = settings.ResolveDevice();
            logger.LogInformation("Training on {Device}", torch.Describe());
            activity.Update(s => s with { Device = torch.Device.ToString(), LibTorch = torch.LibTorchDirectory, Gpu = torch.Gpu });
            await kafka.CheckAtStartAsync(stoppingToken);
            heartbeat.Beat();

            var manager = checkpoints.Manager;
            int stale = await manager.RemoveStaleTemporaryFoldersAsync(stoppingToken);
            if (stale > 0) logger.LogWarning("Removed {Count} incomplete checkpoint folder(s) left by an interrupted write", stale);
            // With an object store, the newest checkpoint that verifies among the local and the remote ones: a fresh
            // volume resumes from the bucket, positions included.
            var restored = remote is null
                ? await manager.RestoreLatestAsync(torch.Device, accept: null, stoppingToken, features: settings.Schema)
                : await remote.RestoreLatestAsync(torch.Device, accept: null, stoppingToken, features: settings.Schema);
            checkpoints.CountSkipped();
            if (restored is null && manager.SkippedCheckpoints > 0 && !settings.Checkpoints.AllowFreshStart)
                throw await FreshStartRefusedAsync(manager, stoppingToken);
            heartbeat.Beat();
            if (restored is not null)
                logger.LogInformation("Restored checkpoint {Id} ({Stage}, step {Step})", restored.Manifest.Id, restored.Manifest.Stage.Kind, restored.Manifest.Counters.Steps);

            if (restored is null || restored.Manifest.Stage.Kind == TrainingStage.Offline)
            {
                offline.Resuming(restored);
                activity.Update(s => s with { Activity = DaemonActivity.Offline, ModelLoaded = true, TrainerRunning = true });
                restored = await offline.RunAsync(torch.Device, restored, stoppingToken);
                if (restored is null) return; // stopped during the offline phase, its progress checkpointed
            }

            using (restored)
            {
                checkpoints.Restored(restored.Manifest);
                restored.Trainer.ClipGradientNorm = settings.Training.ClipGradientNorm;
                activity.Update(s => s with { Activity = DaemonActivity.Streaming, ModelLoaded = true, TrainerRunning = true });
                await streaming.RunAsync(restored.Trainer, restored.Manifest, stoppingToken, _shutdownTimedOut.Token);
            }
            activity.Update(s => s with { Activity = DaemonActivity.Stopping, TrainerRunning = false });
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            activity.Update(s => s with { Activity = DaemonActivity.Stopping, TrainerRunning = false });
        }
        catch (IncompleteStopException e)
        {
            // Not a crash: one line with the reason, and a non-zero exit so a deploy or supervisor sees the lost work.
            logger.LogError("{Reason}", e.Message);
            activity.Update(s => s with { Activity = DaemonActivity.Failed, FailureReason = e.Message, TrainerRunning = false });
            Environment.ExitCode = 1;
        }
        catch (FeatureSchemaMismatchException e)
        {
            // A configuration problem, not a crash: one line per difference, no stack trace, and exit code 2.
            foreach (var line in e.Message.Split(Environment.NewLine)) logger.LogCritical("{Line}", line);
            activity.Update(s => s with { Activity = DaemonActivity.Failed, FailureReason = e.Message, TrainerRunning = false });
            Environment.ExitCode = 2;
            lifetime.StopApplication();
        }
        catch (StartRefusedException e)
        {
            logger.LogCritical("Start refused: {Reason}", e.Message);
            activity.Update(s => s with { Activity = DaemonActivity.Failed, FailureReason = e.Message, TrainerRunning = false });
            Environment.ExitCode = StartRefusedException.ExitCode;
            lifetime.StopApplication();
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "Training failed; stopping so the supervisor restarts from the last checkpoint");
            activity.Update(s => s with { Activity = DaemonActivity.Failed, FailureReason = e.Message, TrainerRunning = false });
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private static async Task<StartRefusedException> FreshStartRefusedAsync(CheckpointManager manager, CancellationToken cancellationToken)
    {
        var found = await manager.ListAsync(hashContents: false, cancellationToken);
        var newest = found.Count > 0 ? $" The newest, {found[0].Id}: {found[0].Problem}" : "";
        return new StartRefusedException(
            $"None of the {manager.SkippedCheckpoints} checkpoint(s) in {manager.Location} verifies, and starting afresh would replace the trained model.{newest} " +
            "Inspect them with `recurring checkpoints list`, put the damaged files back or move the folders aside, or set --Checkpoints:AllowFreshStart=true to run the offline phase again.");
    }
}
