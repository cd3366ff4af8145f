using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Training;

namespace Recurring.Daemon.Checkpoints;

/// <summary>A delta that is durable and verified, as its observers receive it.</summary>
/// <param name="Path">Its folder on the local file system.</param>
public sealed record DeltaWritten(DeltaInfo Info, string Path)
{
    public DeltaManifest Manifest => Info.Manifest;
}

/// <summary>Told about every delta the daemon writes, once it is durable (the model-update announcements).</summary>
public interface IDeltaObserver
{
    Task OnDeltaWrittenAsync(DeltaWritten delta, CancellationToken cancellationToken);
}

/// <summary>
/// With Checkpoints:Deltas, the streaming trainer's deltas: every Checkpoints:DeltaEverySeconds with something trained,
/// what changed since the last checkpoint or delta. A chain starts at a full checkpoint this process wrote of exactly
/// the trainer's state (it observes every checkpoint written); after a restore, or a restore that grew the model, the
/// first delta due is a full checkpoint instead, so no chain ever continues another process's training. A failed
/// delta is logged and training goes on: the next one covers its rows too.
/// </summary>
public sealed class DeltaWriter(
    CheckpointManager manager,
    CheckpointOptions options,
    IEnumerable<IDeltaObserver> observers,
    TimeProvider time,
    ILogger<DeltaWriter> logger) : ICheckpointObserver
{
    private readonly IDeltaObserver[] _observers = observers.ToArray();
    private readonly string _directory = Path.GetFullPath(options.Directory);
    private CheckpointManifest? _lastWritten;
    private CheckpointManifest? _base;
    private RowWiseAdagrad? _rows;
    private string _previous = "";
    private int _index;
    private bool _trainedSince;
    private long _lastAttempt = time.GetTimestamp();

    /// <summary>The chain's base is known: a delta can be written (else a full checkpoint must come first).</summary>
    public bool HasBase => _base is not null;

    /// <summary>Something was trained since the last checkpoint or delta, and Checkpoints:DeltaEverySeconds have passed since the last attempt.</summary>
    public bool IsDue => _rows is not null && _trainedSince && time.GetElapsedTime(_lastAttempt).TotalSeconds >= options.DeltaEverySeconds;

    /// <summary>Streaming starts: <paramref name="trainer"/> holds exactly the model of <paramref name="restored"/>.</summary>
    public void Attach(DlrmTrainer trainer, CheckpointManifest? restored)
    {
        _rows = trainer.EmbeddingOptimizer
            ?? throw new NotSupportedException($"Checkpoints:Deltas needs Training:Optimizer:EmbeddingUpdate {EmbeddingUpdateKind.RowWiseAdagrad}.");
        _rows.TrackTouchedRows();
        _rows.ClearTouchedRows();
        _lastAttempt = time.GetTimestamp();
        StartChain(restored is not null && restored.Id == _lastWritten?.Id ? restored : null);
    }

    /// <summary>A training step changed the model.</summary>
    public void Trained() => _trainedSince = true;

    /// <summary>A full checkpoint of the trainer's state is durable: the next deltas follow it.</summary>
    public Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken)
    {
        _lastWritten = checkpoint.Manifest;
        if (_rows is not null)
        {
            _rows.ClearTouchedRows();
            _lastAttempt = time.GetTimestamp();
            StartChain(checkpoint.Manifest);
        }
        return Task.CompletedTask;
    }

    /// <summary>Writes the next delta and tells the observers; null when it failed (logged; the previous ones are intact).</summary>
    public async Task<DeltaWritten?> WriteAsync(DlrmTrainer trainer, DataPositions positions, IReadOnlyDictionary<string, long> counters,
        IReadOnlyDictionary<string, double> metrics)
    {
        var chainBase = _base ?? throw new InvalidOperationException("No checkpoint to write a delta against: write a full checkpoint first.");
        _lastAttempt = time.GetTimestamp();
        DeltaInfo info;
        try
        {
            // Atomic like a checkpoint, so never cancelled: finishing it during shutdown is safe.
            info = await manager.SaveDeltaAsync(new DeltaSnapshot(trainer, chainBase, _index + 1, _previous)
            {
                Positions = positions,
                Counters = counters,
                Metrics = metrics,
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("Delta failed, training goes on and its rows go into the next one: {Reason}", e.Message);
            return null;
        }
        _rows!.ClearTouchedRows();
        _trainedSince = false;
        _index++;
        _previous = info.Id;
        var written = new DeltaWritten(info, Path.Combine(_directory, info.Id));
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnDeltaWrittenAsync(written, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning("After delta {Id}, {Observer} failed: {Reason}", info.Id, observer.GetType().Name, e.Message);
            }
        }
        return written;
    }

    private void StartChain(CheckpointManifest? chainBase)
    {
        _base = chainBase;
        _previous = chainBase?.Id ?? "";
        _index = 0;
        _trainedSince = false;
    }
}
