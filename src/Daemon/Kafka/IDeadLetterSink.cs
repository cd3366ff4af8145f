namespace Recurring.Daemon.Kafka;

/// <summary>Where dead letters go: a Kafka topic or a local file.</summary>
public interface IDeadLetterSink : IDisposable
{
    DeadLetterCounts Written { get; }

    /// <summary>What it writes to, for the status and messages: "topic NAME" or "file PATH".</summary>
    string Description { get; }

    /// <summary>Returns once the letter is stored (acknowledged by the brokers, or flushed to the file).</summary>
    ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken);

    /// <summary>
    /// Makes every letter written so far survive a power cut (fsync of the file; a topic's acknowledged letters
    /// already are), before a checkpoint moves the positions past them.
    /// </summary>
    ValueTask SyncAsync(CancellationToken cancellationToken);

    /// <summary>Whether letters can be written, checked without writing one; the problem in one line, or null.</summary>
    Task<string?> CheckAsync(CancellationToken cancellationToken);
}
