using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>
/// Keeps every line as "Level: message" and counts warnings, e.g. the retry pipeline's "retrying" lines, so a test can
/// wait for a retry to happen or read what was logged.
/// </summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();
    private int _warnings;

    public int Warnings => Volatile.Read(ref _warnings);

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.Warning) Interlocked.Increment(ref _warnings);
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
