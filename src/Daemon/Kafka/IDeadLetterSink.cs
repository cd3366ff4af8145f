namespace Recurring.Daemon.Kafka;

/// <summary>Where dead letters go: a Kafka topic or a local file.</summary>
public interface IDeadLetterSink : IDisposable
{
    DeadLetterCounts Written { get; }

    /// <summary>Returns once the letter is stored (acknowledged by the brokers, or flushed to the file).</summary>
    ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken);
}
