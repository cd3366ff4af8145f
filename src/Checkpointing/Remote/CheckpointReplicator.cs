using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Recurring.Checkpointing.Remote;

/// <summary>
/// Copies checkpoints to the object store in the background, so training never waits for an upload. Checkpoints
/// wait in a bounded backlog: when a newer one arrives and more than <see cref="RemoteCheckpointOptions.Backlog"/>
/// unpinned ones wait, the oldest waiting one is skipped (counted); pinned ones always wait their turn. The newest
/// waiting checkpoint goes first, since it is what a restore wants. A failed upload (after the transient errors'
/// retries) stays in the backlog and is tried again after <see cref="CheckpointOptions.RetryMaxDelayMilliseconds"/>;
/// an outage is logged when it starts and when it ends, not at every attempt. After each upload the remote
/// retention rule runs. The figures are plain properties: the daemon turns them into metrics and readiness.
/// </summary>
/// <summary>Told about each complete remote copy, on the replicator's loop (serving hand-off announces it).</summary>
public interface IRemoteCopyObserver
{
    Task OnCopiedAsync(RemoteCheckpointCopy copy, CancellationToken cancellationToken);
}

public sealed partial class CheckpointReplicator
{
    private readonly RemoteCheckpointStore _store;
    private readonly CheckpointOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IRemoteCopyObserver[] _observers;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Lock _lock = new();
    private readonly List<Waiting> _waiting = [];
    private Waiting? _uploading;
    private long _uploaded, _failures, _skipped, _localMissing;
    private DateTimeOffset? _outageSince;
    private RemoteCheckpointCopy? _latest;

    /// <param name="store">Open it with logRetries false: this logs once per outage instead.</param>
    public CheckpointReplicator(RemoteCheckpointStore store, ILogger<CheckpointReplicator>? logger = null, TimeProvider? time = null,
        IEnumerable<IRemoteCopyObserver>? observers = null)
    {
        _store = store;
        _observers = observers?.ToArray() ?? [];
        _options = store.Options;
        _logger = logger ?? NullLogger<CheckpointReplicator>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Checkpoints whose remote copy is complete, since start.</summary>
    public long UploadsCompleted => Interlocked.Read(ref _uploaded);

    /// <summary>Upload attempts that failed after their retries (each is tried again later).</summary>
    public long UploadFailures => Interlocked.Read(ref _failures);

    /// <summary>Waiting checkpoints dropped because newer ones superseded them.</summary>
    public long SkippedSuperseded => Interlocked.Read(ref _skipped);

    /// <summary>Waiting checkpoints that were gone or damaged locally by the time their turn came.</summary>
    public long LocalCopiesMissing => Interlocked.Read(ref _localMissing);

    /// <summary>Checkpoints waiting or being uploaded.</summary>
    public int Backlog
    {
        get { lock (_lock) return _waiting.Count + (_uploading is null ? 0 : 1); }
    }

    /// <summary>The newest complete remote copy made by this process, null before the first.</summary>
    public RemoteCheckpointCopy? Latest
    {
        get { lock (_lock) return _latest; }
    }

    /// <summary>How long the oldest checkpoint still without a remote copy has waited; zero when none waits.</summary>
    public TimeSpan Lag
    {
        get
        {
            lock (_lock)
            {
                var oldest = _waiting.Select(w => w.WrittenAt).Append(_uploading?.WrittenAt ?? DateTimeOffset.MaxValue).Min();
                return oldest == DateTimeOffset.MaxValue ? TimeSpan.Zero : _time.GetUtcNow() - oldest;
            }
        }
    }

    /// <summary>False once a checkpoint has waited longer than <see cref="RemoteCheckpointOptions.MaxLagSeconds"/> for its copy.</summary>
    public bool IsWithinMaxLag => Lag <= MaxLag;

    public TimeSpan MaxLag => TimeSpan.FromSeconds(_options.Remote.MaxLagSeconds);

    /// <summary>Queues a checkpoint just written locally; returns at once.</summary>
    public void Enqueue(string id, bool pinned)
    {
        lock (_lock)
        {
            if (_waiting.Any(w => w.Id == id) || _uploading?.Id == id) return;
            _waiting.Add(new Waiting(id, pinned, _time.GetUtcNow()));
            DropSuperseded();
        }
        _arrived.Release();
    }

    /// <summary>
    /// Queues what an earlier run left without a remote copy: the newest local checkpoint and every pinned one (the
    /// offline phase's final model) that the store lacks. When the store cannot be listed, they are queued anyway;
    /// uploading one again is only traffic.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var local = await _store.Local.ListAsync(hashContents: false, cancellationToken);
        HashSet<string> remote;
        try
        {
            remote = (await _store.ListWithoutHashingAsync(cancellationToken)).Where(s => s.IsValid).Select(s => s.Id).ToHashSet();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            remote = [];
        }
        var newest = local.FirstOrDefault(s => s.IsValid);
        foreach (var checkpoint in local.Where(s => s.IsValid && (s.Pinned || s == newest) && !remote.Contains(s.Id)).Reverse())
            Enqueue(checkpoint.Id, checkpoint.Pinned);
    }

    /// <summary>
    /// Waits until nothing is waiting for upload (the final checkpoint of a shutdown), but not through an outage:
    /// what is left then is queued again at the next start.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (Backlog > 0 && _outageSince is null && !cancellationToken.IsCancellationRequested)
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, CancellationToken.None);
    }

    /// <summary>Uploads until cancelled; what still waits then is left for the next start (it is on the local volume).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await _arrived.WaitAsync(cancellationToken);
            Waiting? next;
            lock (_lock)
            {
                next = _waiting.OrderByDescending(w => w.Id, StringComparer.Ordinal).FirstOrDefault();
                if (next is null) continue;
                _waiting.Remove(next);
                _uploading = next;
            }
            if (!await TryUploadAsync(next, cancellationToken))
            {
                lock (_lock)
                {
                    _uploading = null;
                    _waiting.Add(next);
                    DropSuperseded();
                }
                await Task.Delay(TimeSpan.FromMilliseconds(_options.RetryMaxDelayMilliseconds), _time, cancellationToken);
                _arrived.Release();
            }
        }
    }

    private async Task<bool> TryUploadAsync(Waiting next, CancellationToken cancellationToken)
    {
        RemoteCheckpointCopy copy;
        try
        {
            copy = await _store.UploadAsync(next.Id, cancellationToken);
        }
        catch (CheckpointException e)
        {
            // Nothing to upload: local retention removed it, or it is damaged there. Not the store's fault.
            Interlocked.Increment(ref _localMissing);
            LogLocalCopyMissing(next.Id, e.Message);
            lock (_lock) _uploading = null;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            if (_outageSince is null)
            {
                _outageSince = _time.GetUtcNow();
                LogOutageStarted(e, _store.Location, next.Id);
            }
            return false;
        }
        if (_outageSince is { } since)
        {
            LogOutageEnded(_store.Location, (_time.GetUtcNow() - since).TotalSeconds, UploadFailures);
            _outageSince = null;
        }
        Interlocked.Increment(ref _uploaded);
        lock (_lock)
        {
            _uploading = null;
            if (_latest is null || string.CompareOrdinal(copy.Id, _latest.Id) > 0) _latest = copy;
        }
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnCopiedAsync(copy, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogObserverFailed(e, copy.Id, observer.GetType().Name);
            }
        }
        await ApplyRemoteRetentionAsync(copy.Id, cancellationToken);
        return true;
    }

    private async Task ApplyRemoteRetentionAsync(string justVerified, CancellationToken cancellationToken)
    {
        var rule = new RetentionRule(_options.Remote.KeepLast ?? _options.KeepLast, _options.Remote.KeepDailyDays ?? _options.KeepDailyDays);
        try
        {
            await _store.Remote.ApplyRetentionAsync(rule, verified: justVerified, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Retention runs again after the next upload; a failure here leaves extra checkpoints, never fewer.
            LogRetentionFailed(e, _store.Location);
        }
    }

    /// <summary>Keeps at most Backlog unpinned checkpoints waiting, dropping the oldest.</summary>
    private void DropSuperseded()
    {
        var unpinned = _waiting.Where(w => !w.Pinned).OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        for (int i = 0; i < unpinned.Count - _options.Remote.Backlog; i++)
        {
            _waiting.Remove(unpinned[i]);
            Interlocked.Increment(ref _skipped);
            LogSuperseded(unpinned[i].Id);
        }
    }

    private sealed record Waiting(string Id, bool Pinned, DateTimeOffset WrittenAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Uploading checkpoint {Id} to {Location} failed; training goes on, checkpoints wait in the backlog and uploads are retried (logged again when it recovers)")]
    private partial void LogOutageStarted(Exception exception, string location, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Uploads to {Location} work again after {Seconds:F0} s ({Failures} failed attempts in all)")]
    private partial void LogOutageEnded(string location, double seconds, long failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Id} will not be uploaded: newer checkpoints superseded it in the backlog")]
    private partial void LogSuperseded(string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint {Id} will not be uploaded: {Problem}")]
    private partial void LogLocalCopyMissing(string id, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "After the remote copy of {Id}, {Observer} failed")]
    private partial void LogObserverFailed(Exception exception, string id, string observer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Remote retention in {Location} failed; it runs again after the next upload")]
    private partial void LogRetentionFailed(Exception exception, string location);
}
