using System.Globalization;

namespace Recurring.Checkpointing;

/// <summary>
/// Checkpoint folder names: <c>ckpt-20261126T140000.123Z-000000012345</c>, creation time (UTC, milliseconds) first
/// and the step second. Time leads so that lexical order is time order even when the step counter starts again
/// (a fresh offline run into the same folder), which a step-first name would sort as the oldest.
/// </summary>
public static class CheckpointId
{
    public const string Prefix = "ckpt-";

    /// <summary>Folders being written or deleted: never listed as checkpoints, removed when found stale.</summary>
    public const string TemporaryPrefix = ".tmp-";

    private const string TimeFormat = "yyyyMMdd'T'HHmmss'.'fff'Z'";

    public static string Create(DateTime createdUtc, long steps) =>
        $"{Prefix}{createdUtc.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture)}-{steps:D12}";

    /// <summary>True for names <see cref="Create"/> makes, giving the creation time they carry.</summary>
    public static bool TryParse(string name, out DateTime createdUtc)
    {
        createdUtc = default;
        var parts = name.Split('-');
        return parts.Length == 3
            && name.StartsWith(Prefix, StringComparison.Ordinal)
            && parts[2].Length >= 12 && parts[2].All(char.IsAsciiDigit)
            && DateTime.TryParseExact(parts[1], TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out createdUtc);
    }

    public static bool IsTemporary(string name) => name.StartsWith(TemporaryPrefix, StringComparison.Ordinal);

    /// <summary>The sibling a checkpoint is written in before it is renamed into place.</summary>
    public static string WritingFolder(string id) => $"{TemporaryPrefix}write-{id}";

    /// <summary>Where a checkpoint is renamed before its files are removed, so a crash cannot leave half of one.</summary>
    public static string DeletingFolder(string id) => $"{TemporaryPrefix}delete-{id}";
}
