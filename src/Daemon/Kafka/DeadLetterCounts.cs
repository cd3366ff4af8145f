using System.Collections.Concurrent;

namespace Recurring.Daemon.Kafka;

/// <summary>Dead letters written so far, by reason kind; safe to update and read from any thread.</summary>
public sealed class DeadLetterCounts
{
    private readonly ConcurrentDictionary<string, long> _byKind = new(StringComparer.Ordinal);

    public long Total => _byKind.Values.Sum();

    /// <summary>A snapshot, ordered by kind.</summary>
    public IReadOnlyDictionary<string, long> ByKind => new SortedDictionary<string, long>(_byKind, StringComparer.Ordinal);

    public void Add(string kind) => _byKind.AddOrUpdate(kind, 1, (_, count) => count + 1);
}
