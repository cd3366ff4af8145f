using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Checkpointing;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Checkpoints;

/// <summary>A checkpoint that is durable and verified, as its observers receive it.</summary>
/// <param name="Path">Its folder on the local file system.</param>
public sealed record CheckpointWritten(CheckpointInfo Info, string Path)
{
    public CheckpointManifest Manifest => Info.Manifest;
}

/// <summary>
/// Told about every checkpoint the daemon writes, once it is durable: retention, model-update announcements, remote
/// copies. An observer's failure is logged and never reaches training; an observer must not keep training waiting
/// for slow work (it queues it instead).
/// </summary>
public interface ICheckpointObserver
{
    Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken);
}

/// <summary>
/// The one way the daemon writes checkpoints, offline and streaming: saves through the <see cref="CheckpointManager"/>,
/// keeps the checkpoint part of the status, and tells the <see cref="ICheckpointObserver"/>s.
/// </summary>
public sealed class CheckpointWriter(
    CheckpointManager manager,
    CheckpointOptions options,
    IEnumerable<ICheckpointObserver> observers,
    StatusCell<CheckpointState> state,
    TimeProvider time,
    ILogger<CheckpointWriter> logger)
{
    private readonly ICheckpointObserver[] _observers = observers.ToArray();
    private readonly string _directory = Path.GetFullPath(options.Directory);

    public CheckpointManager Manager => manager;

    /// <summary>A writer into <paramref name="directory"/> that nobody observes, for commands that write checkpoints outside the daemon.</summary>
    public static CheckpointWriter ForDirectory(string directory, CheckpointOptions settings)
    {
        var options = new CheckpointOptions { Directory = directory, KeepLast = settings.KeepLast, KeepDailyDays = settings.KeepDailyDays };
        return new CheckpointWriter(CheckpointManager.ForDirectory(options), options, [], new StatusCell<CheckpointState>(new CheckpointState()),
            TimeProvider.System, NullLogger<CheckpointWriter>.Instance);
    }

    /// <summary>
    /// Writes a checkpoint and tells the observers. A write is atomic, so it is never cancelled: letting it finish
    /// during shutdown is both safe and what saves the work.
    /// </summary>
    /// <param name="beforeSave">What must be durable before the checkpoint is (the dead letters it covers); its
    /// failure is the checkpoint's.</param>
    /// <exception cref="CheckpointException">The write failed; it is counted and the previous checkpoints are intact.</exception>
    public async Task<CheckpointWritten> WriteAsync(TrainingSnapshot snapshot, bool pin, Func<ValueTask>? beforeSave = null)
    {
        CheckpointInfo info;
        try
        {
            if (beforeSave is not null) await beforeSave();
            info = await manager.SaveAsync(snapshot, pin, CancellationToken.None);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            state.Update(s => s with { Failures = s.Failures + 1, LastError = e.Message, CorruptSkipped = manager.SkippedCheckpoints });
            throw e as CheckpointException ?? new CheckpointException(e.Message, e);
        }

        var now = time.GetUtcNow();
        state.Update(s => s with
        {
            Written = s.Written + 1,
            LastId = info.Id,
            LastUtc = now,
            LastSeconds = info.Duration.TotalSeconds,
            LastBytes = info.Bytes,
            LastError = null,
            CorruptSkipped = manager.SkippedCheckpoints,
        });
        var written = new CheckpointWritten(info, Path.Combine(_directory, info.Id));
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnWrittenAsync(written, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning("After checkpoint {Id}, {Observer} failed: {Reason}", info.Id, observer.GetType().Name, e.Message);
            }
        }
        return written;
    }

    /// <summary>The checkpoint training resumed from counts as the last one written.</summary>
    public void Restored(CheckpointManifest manifest) =>
        state.Update(s => s with
        {
            LastId = manifest.Id,
            LastUtc = new DateTimeOffset(manifest.CreatedUtc, TimeSpan.Zero),
            CorruptSkipped = manager.SkippedCheckpoints,
        });

    /// <summary>Restoring passed over damaged checkpoints: counted.</summary>
    public void CountSkipped() => state.Update(s => s with { CorruptSkipped = manager.SkippedCheckpoints });
}
