namespace Recurring.Daemon.Streaming;

/// <summary>What to do about a run of batches whose loss or gradients were not finite.</summary>
public enum StreakVerdict
{
    /// <summary>Go on: each skipped batch is already dead-lettered, nothing reached the model.</summary>
    Continue,

    /// <summary>Streaming:RollbackAfterSkippedBatches in a row: put the last good checkpoint's weights back, once.</summary>
    RollBack,

    /// <summary>As many again right after that rollback: stop consuming until an operator acts.</summary>
    Pause,
}

/// <summary>
/// Counts skipped batches in a row and remembers the last good checkpoint: the newest one written (or restored) while
/// no batch of a run was being skipped. A run of <c>limit</c> asks for a rollback to it; another run before a newer
/// good checkpoint asks for a pause, since rolling back to the same weights again would change nothing.
/// </summary>
public sealed class SkippedBatchStreak(int limit, string restoredCheckpoint)
{
    private int _inARow;
    private string? _rolledBackTo;

    /// <summary>Where a rollback goes.</summary>
    public string LastGood { get; private set; } = restoredCheckpoint;

    public int InARow => _inARow;

    public void Applied() => _inARow = 0;

    public StreakVerdict Skipped()
    {
        _inARow++;
        if (limit == 0 || _inARow < limit) return StreakVerdict.Continue;
        _inARow = 0;
        if (_rolledBackTo == LastGood) return StreakVerdict.Pause;
        _rolledBackTo = LastGood;
        return StreakVerdict.RollBack;
    }

    /// <summary>A checkpoint written in the middle of a run holds weights the run may have been caused by: not good.</summary>
    public void Checkpointed(string id)
    {
        if (_inARow == 0) LastGood = id;
    }
}
