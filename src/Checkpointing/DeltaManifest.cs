using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Recurring.Core.Training;

namespace Recurring.Checkpointing;

/// <summary>
/// A delta's manifest.json: which full checkpoint it applies to and after which delta, what it covers (counters,
/// positions, metrics at the time), the size and SHA-256 of its two tensor files, and its own SHA-256 (computed as
/// a checkpoint manifest's is, <see cref="ManifestJson"/>).
/// </summary>
public sealed record DeltaManifest
{
    public const int CurrentFormatVersion = 1;

    public required int FormatVersion { get; init; }
    public required string Id { get; init; }

    /// <summary>The full checkpoint the chain starts from.</summary>
    public required string BaseId { get; init; }

    /// <summary>1 for the first delta after the base, then one more per delta.</summary>
    public required int Index { get; init; }

    /// <summary>What this delta applies on top of: the base for index 1, else the delta before.</summary>
    public required string PreviousId { get; init; }

    public required DateTime CreatedUtc { get; init; }

    /// <summary>Embedding rows it carries: every row a training step updated since the previous checkpoint or delta.</summary>
    public required long Rows { get; init; }

    public required CheckpointCounters Counters { get; init; }
    public required DataPositions Positions { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required IReadOnlyList<CheckpointFile> Files { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ManifestSha256 { get; init; }

    [JsonIgnore]
    public long FileBytes => Files.Sum(f => f.Bytes);

    /// <summary>The manifest with its digest set.</summary>
    public DeltaManifest Sealed() => this with { ManifestSha256 = ManifestJson.DigestOf(this with { ManifestSha256 = null }) };

    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(destination, Sealed(), ManifestJson.Options, cancellationToken);

    /// <summary>Parses and checks a delta manifest: malformed or altered is <see cref="InvalidDataException"/>, a newer format <see cref="CheckpointException"/>.</summary>
    public static Task<DeltaManifest> ReadAsync(Stream source, CancellationToken cancellationToken) =>
        ManifestJson.ReadAsync<DeltaManifest>(source, "a delta", formatVersion =>
        {
            if (formatVersion > CurrentFormatVersion)
                throw new CheckpointException($"Delta format version {formatVersion} is newer than this build of recurring reads ({CurrentFormatVersion}): upgrade recurring to use it.");
            return true;
        }, cancellationToken);
}

/// <summary>
/// Delta folder names: <c>delta-s000000000042-000003-20261126T140000.123Z-000000012345</c>: the base checkpoint's
/// sequence, the delta's index after it, its time (UTC, milliseconds) and step. They never parse as checkpoint names,
/// so listing, restoring and retention of checkpoints pass them over.
/// </summary>
public static class DeltaId
{
    public const string Prefix = "delta-s";

    private const int SequenceDigits = 12;
    private const int IndexDigits = 6;
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'.'fff'Z'";

    public static string Create(long baseSequence, int index, DateTime createdUtc, long steps) =>
        $"{Prefix}{baseSequence.ToString($"D{SequenceDigits}", CultureInfo.InvariantCulture)}-{index.ToString($"D{IndexDigits}", CultureInfo.InvariantCulture)}-" +
        $"{createdUtc.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture)}-{steps:D12}";

    /// <summary>True for a name <see cref="Create"/> makes, with the base's sequence and the index it carries.</summary>
    public static bool TryParse(string name, out long baseSequence, out int index)
    {
        baseSequence = 0;
        index = 0;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = name[Prefix.Length..].Split('-');
        return parts.Length == 4
            && parts[0].Length == SequenceDigits && parts[0].All(char.IsAsciiDigit)
            && parts[1].Length == IndexDigits && parts[1].All(char.IsAsciiDigit)
            && DateTime.TryParseExact(parts[2], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _)
            && parts[3].Length >= 12 && parts[3].All(char.IsAsciiDigit)
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out baseSequence)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }
}

/// <summary>What a delta captures: the trainer now, the chain it continues, and what only the caller knows.</summary>
/// <param name="Previous">The base checkpoint's id for the first delta of a chain, else the last delta's.</param>
public sealed record DeltaSnapshot(DlrmTrainer Trainer, CheckpointManifest Base, int Index, string Previous)
{
    public DataPositions Positions { get; init; } = DataPositions.None;
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();
}

public sealed record DeltaInfo(string Id, long Bytes, TimeSpan Duration, DeltaManifest Manifest);
