using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// One Kafka client's errors as lines an operator can read. librdkafka reports a refused connection at every reconnect,
/// several times a second for as long as the brokers are away; logged as they come, they bury everything else. So: a
/// line for each kind of error the first time it occurs in an episode, then, while errors go on, one summary a minute at
/// most. An episode ends after a minute without errors; the next error is news again.
/// </summary>
public sealed class KafkaErrorLog(ILogger logger, TimeProvider? time = null)
{
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly HashSet<ErrorCode> _reported = [];
    private readonly Dictionary<ErrorCode, long> _unreported = [];
    private long _lastError;
    private long _lastSummary;
    private string _latest = "";

    public void Report(Error error)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_reported.Count > 0 && _time.GetElapsedTime(_lastError, now) >= SummaryInterval) EndEpisode();
            _lastError = now;
            if (_reported.Add(error.Code) || error.IsFatal)
            {
                if (_reported.Count == 1) _lastSummary = now;
                logger.Log(error.IsFatal ? LogLevel.Error : LogLevel.Warning, "Kafka client error {Code}: {Reason}", error.Code, error.Reason);
                return;
            }
            _unreported[error.Code] = _unreported.GetValueOrDefault(error.Code) + 1;
            _latest = error.Reason;
            if (_time.GetElapsedTime(_lastSummary, now) >= SummaryInterval) Summarize(now);
        }
    }

    private void Summarize(long now)
    {
        if (_unreported.Count > 0)
            logger.LogWarning("Kafka client errors go on: {Count} more in the last {Seconds:F0} s ({Codes}); latest: {Reason}", _unreported.Values.Sum(),
                _time.GetElapsedTime(_lastSummary, now).TotalSeconds, string.Join(", ", _unreported.Select(u => $"{u.Key} {u.Value}").Order(StringComparer.Ordinal)), _latest);
        _unreported.Clear();
        _lastSummary = now;
    }

    private void EndEpisode()
    {
        Summarize(_lastError);
        _reported.Clear();
    }
}
