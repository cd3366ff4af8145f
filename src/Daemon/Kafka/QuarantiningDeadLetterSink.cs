using Microsoft.Extensions.Logging;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// The daemon's dead-letter sink: the configured one (topic or file) while it works, the local quarantine file while
/// it does not, so that one letter the sink refuses (a missing ACL, a letter larger than the topic accepts, a full or
/// read-only disk, brokers unreachable past the retries) never stops training. After a failure the configured sink is
/// tried again every <see cref="RetryInterval"/>. Each quarantined letter is counted; should the quarantine file fail
/// as well, the letter's source position and hash are logged and it is counted as lost (the message itself stays in
/// its topic until retention removes it). Owns the dead-letter part of the status.
/// </summary>
public sealed class QuarantiningDeadLetterSink : IDeadLetterSink
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(60);

    private readonly IDeadLetterSink _sink;
    private readonly FileDeadLetterSink _quarantine;
    private readonly StatusCell<DeadLetterState> _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long? _failedAt;

    public QuarantiningDeadLetterSink(IDeadLetterSink sink, FileDeadLetterSink quarantine, StatusCell<DeadLetterState> state, TimeProvider time,
        ILogger<QuarantiningDeadLetterSink> logger)
    {
        _sink = sink;
        _quarantine = quarantine;
        _state = state;
        _time = time;
        _logger = logger;
        _state.Update(s => s with { Sink = sink.Description, QuarantineFile = quarantine.Path });
    }

    /// <summary>Letters the configured sink stored.</summary>
    public DeadLetterCounts Written => _sink.Written;

    public string Description => _sink.Description;

    public async ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        if (_failedAt is not { } failedAt || _time.GetElapsedTime(failedAt) >= RetryInterval)
        {
            try
            {
                await _sink.WriteAsync(letter, cancellationToken);
                if (_failedAt is not null) Recovered();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(e.Message);
            }
        }
        await QuarantineAsync(letter, cancellationToken);
    }

    public async ValueTask SyncAsync(CancellationToken cancellationToken)
    {
        await _sink.SyncAsync(cancellationToken);
        await _quarantine.SyncAsync(cancellationToken);
    }

    /// <summary>Checks the configured sink; a problem sends letters to the quarantine file from the first on.</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        var problem = await _sink.CheckAsync(cancellationToken);
        if (problem is not null) Failed(problem);
        return problem;
    }

    private async ValueTask QuarantineAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        try
        {
            await _quarantine.WriteAsync(letter, cancellationToken);
            _state.Update(s => s with { Quarantined = Incremented(s.Quarantined, letter.Reason.Kind) });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("Dead letter lost: neither {Sink} nor the quarantine file {Quarantine} could store it ({Reason}); it is {Topic}[{Partition}]@{Offset}, " +
                             "{Bytes} bytes with SHA-256 {Sha256}, kind {Kind}, still in its topic until retention removes it",
                _sink.Description, _quarantine.Path, e.Message, letter.SourceTopic, letter.SourcePartition, letter.SourceOffset,
                letter.Original.Bytes, letter.Original.Sha256, letter.Reason.Kind);
            _state.Update(s => s with { Lost = s.Lost + 1 });
        }
    }

    private void Failed(string reason)
    {
        // One line when the sink starts failing, not one per letter.
        if (_failedAt is null)
            _logger.LogError("Dead letters go to the quarantine file {Quarantine} because {Sink} failed: {Reason}; training goes on, and the sink is tried again every {Seconds} s",
                _quarantine.Path, _sink.Description, reason, RetryInterval.TotalSeconds);
        _failedAt = _time.GetTimestamp();
        _state.Update(s => s with { SinkProblem = reason });
    }

    private void Recovered()
    {
        _failedAt = null;
        _logger.LogInformation("{Sink} stores dead letters again; {Count} are in the quarantine file {Quarantine}",
            _sink.Description, _state.Current.Quarantined.Values.Sum(), _quarantine.Path);
        _state.Update(s => s with { SinkProblem = null });
    }

    private static Dictionary<string, long> Incremented(IReadOnlyDictionary<string, long> counts, string kind) =>
        new(counts) { [kind] = counts.GetValueOrDefault(kind) + 1 };

    public void Dispose()
    {
        _sink.Dispose();
        _quarantine.Dispose();
    }
}
