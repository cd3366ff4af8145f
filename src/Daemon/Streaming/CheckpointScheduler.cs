using System.Threading.Channels;
using Recurring.Checkpointing;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Decides when recurring training checkpoints: after Checkpoints:EveryEvents consumed events, after
/// Checkpoints:EverySeconds with anything new, and whenever someone asks (POST /checkpoints). After
/// Checkpoints:PauseAfterFailures failures in a row it says to pause consumption (<see cref="IsFailing"/>), and retries
/// on its own, from one second apart up to a minute, until one succeeds.
/// </summary>
public sealed class CheckpointScheduler(CheckpointOptions options, TimeProvider time)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(1);

    private readonly Channel<TaskCompletionSource<CheckpointInfo>> _requests = Channel.CreateUnbounded<TaskCompletionSource<CheckpointInfo>>();
    private long _eventsSinceCheckpoint;
    private long _eventsSinceAttempt;
    private bool _positionsMoved;
    private long _lastAttempt = time.GetTimestamp();
    private int _failuresInARow;

    /// <summary>Events consumed that no durable checkpoint covers yet.</summary>
    public long UncheckpointedEvents => _eventsSinceCheckpoint;

    /// <summary>
    /// Events consumed, or positions moved without an event (a partition's start resolved to a concrete offset), that no
    /// durable checkpoint covers yet.
    /// </summary>
    public bool HasUncheckpointedProgress => _eventsSinceCheckpoint > 0 || _positionsMoved;

    /// <summary>When the oldest progress no durable checkpoint covers was made; null when there is none.</summary>
    public DateTimeOffset? UncheckpointedSince { get; private set; }

    /// <summary>
    /// Counted from the last attempt, not the last success: after a failure (a full disk) the next attempt waits for
    /// the next scheduled point instead of coming after every batch, each one writing until the disk refuses again.
    /// </summary>
    public bool IsDue =>
        _eventsSinceAttempt >= options.EveryEvents ||
        (_eventsSinceCheckpoint > 0 && time.GetElapsedTime(_lastAttempt) >= (IsFailing ? RetryDelay : TimeSpan.FromSeconds(options.EverySeconds)));

    /// <summary>Checkpoints:PauseAfterFailures attempts failed in a row: consumption should pause until one succeeds.</summary>
    public bool IsFailing => options.PauseAfterFailures > 0 && _failuresInARow >= options.PauseAfterFailures;

    public int FailuresInARow => _failuresInARow;

    /// <summary>While failing: one second after the failure that started it, doubling up to a minute (or Checkpoints:EverySeconds when sooner).</summary>
    private TimeSpan RetryDelay
    {
        get
        {
            var longest = TimeSpan.FromSeconds(Math.Min(options.EverySeconds, LongestRetry.TotalSeconds));
            int doublings = Math.Min(_failuresInARow - options.PauseAfterFailures, 16);
            var delay = FirstRetry * Math.Pow(2, doublings);
            return delay < longest ? delay : longest;
        }
    }

    public void Consumed(long events)
    {
        _eventsSinceCheckpoint += events;
        _eventsSinceAttempt += events;
        if (events > 0) UncheckpointedSince ??= time.GetUtcNow();
    }

    /// <summary>Positions changed without an event consumed: the next checkpoint must record them.</summary>
    public void PositionsMoved()
    {
        _positionsMoved = true;
        UncheckpointedSince ??= time.GetUtcNow();
    }

    public void Attempted()
    {
        _lastAttempt = time.GetTimestamp();
        _eventsSinceAttempt = 0;
    }

    /// <summary>A checkpoint of everything so far is durable (the trainer writes between batches, so nothing happened meanwhile).</summary>
    public void Succeeded()
    {
        _eventsSinceCheckpoint = 0;
        _positionsMoved = false;
        UncheckpointedSince = null;
        _failuresInARow = 0;
    }

    public void Failed() => _failuresInARow++;

    /// <summary>Asks for a checkpoint between two batches; completes when it is durable.</summary>
    public Task<CheckpointInfo> RequestAsync(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource<CheckpointInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => request.TrySetCanceled(cancellationToken));
        if (!_requests.Writer.TryWrite(request)) request.TrySetException(new CheckpointException("Training has stopped; no checkpoint can be taken now."));
        return request.Task;
    }

    /// <summary>
    /// Every request waiting now, to be answered by one checkpoint: a burst of POST /checkpoints (a retrying client, an
    /// impatient operator) writes one checkpoint, not one each.
    /// </summary>
    public IReadOnlyList<TaskCompletionSource<CheckpointInfo>> TakeRequests()
    {
        var waiting = new List<TaskCompletionSource<CheckpointInfo>>();
        while (_requests.Reader.TryRead(out var request))
            if (!request.Task.IsCompleted) waiting.Add(request);
        return waiting;
    }

    /// <summary>Training ended: requests still waiting, and later ones, are cancelled.</summary>
    public void Close()
    {
        _requests.Writer.TryComplete();
        while (_requests.Reader.TryRead(out var pending)) pending.TrySetCanceled();
    }
}
