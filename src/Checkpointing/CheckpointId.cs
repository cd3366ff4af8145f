using System.Globalization;

namespace Recurring.Checkpointing;

/// <summary>
/// Checkpoint folder names: <c>ckpt-s000000000042-20261126T140000.123Z-000000012345</c>: a sequence number first, the
/// creation time (UTC, milliseconds) second, the step third. The sequence is one more than the highest in the store
/// when the checkpoint is written, so it orders checkpoints by when they were written even when the wall clock ran
/// ahead once (a time-first name would pin every restart to the future-dated checkpoint) or the step counter starts
/// again (a fresh offline run into the same folder). Format version 1 named them <c>ckpt-&lt;time&gt;-&lt;step&gt;</c>: those
/// still parse, as sequence 0, and their names sort before every name with a sequence, ordinally too.
/// </summary>
public static class CheckpointId
{
    public const string Prefix = "ckpt-";

    /// <summary>Folders being written or deleted: never listed as checkpoints, removed when found stale.</summary>
    public const string TemporaryPrefix = ".tmp-";

    private const string SequenceMarker = "s";
    private const int SequenceDigits = 12;
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'.'fff'Z'";

    /// <summary>Newest first: by sequence, then (among names of format version 1) by name, which is by time.</summary>
    public static readonly IComparer<string> NewestFirst = Comparer<string>.Create((a, b) =>
    {
        TryParse(a, out _, out long sequenceA);
        TryParse(b, out _, out long sequenceB);
        int bySequence = sequenceB.CompareTo(sequenceA);
        return bySequence != 0 ? bySequence : string.CompareOrdinal(b, a);
    });

    public static string Create(long sequence, DateTime createdUtc, long steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        return $"{Prefix}{SequenceMarker}{sequence.ToString($"D{SequenceDigits}", CultureInfo.InvariantCulture)}-" +
               $"{createdUtc.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture)}-{steps:D12}";
    }

    /// <summary>True for names <see cref="Create"/> makes (or format version 1 made), giving the creation time they carry.</summary>
    public static bool TryParse(string name, out DateTime createdUtc) => TryParse(name, out createdUtc, out _);

    /// <summary>As <see cref="TryParse(string, out DateTime)"/>, with the sequence: 0 for a name of format version 1.</summary>
    public static bool TryParse(string name, out DateTime createdUtc, out long sequence)
    {
        createdUtc = default;
        sequence = 0;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = name[Prefix.Length..].Split('-');
        if (parts.Length == 3)
        {
            var marked = parts[0];
            if (marked.Length != SequenceMarker.Length + SequenceDigits || !marked.StartsWith(SequenceMarker, StringComparison.Ordinal)
                || !marked[SequenceMarker.Length..].All(char.IsAsciiDigit))
                return false;
            sequence = long.Parse(marked[SequenceMarker.Length..], CultureInfo.InvariantCulture);
            parts = parts[1..];
        }
        return parts.Length == 2
            && parts[1].Length >= 12 && parts[1].All(char.IsAsciiDigit)
            && DateTime.TryParseExact(parts[0], TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out createdUtc);
    }

    public static bool IsTemporary(string name) => name.StartsWith(TemporaryPrefix, StringComparison.Ordinal);

    /// <summary>The sibling a checkpoint is written in before it is renamed into place.</summary>
    public static string WritingFolder(string id) => $"{TemporaryPrefix}write-{id}";

    /// <summary>Where a checkpoint is renamed before its files are removed, so a crash cannot leave half of one.</summary>
    public static string DeletingFolder(string id) => $"{TemporaryPrefix}delete-{id}";
}
