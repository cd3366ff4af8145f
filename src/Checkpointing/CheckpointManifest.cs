using System.Text.Json.Serialization;
using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;

namespace Recurring.Checkpointing;

/// <summary>
/// manifest.json: everything needed to resume, apart from the tensors themselves, the size and SHA-256 of every
/// tensor file, and the SHA-256 of the manifest's own content, so a damaged or incomplete checkpoint, or a flipped
/// digit in a stored offset, is recognised before it is used.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>
    /// The format this build writes and the only one it reads. Version 2 added the feature schema and changed how
    /// sparse values are hashed to rows, so a version 1 model's tables mean nothing to this build; it also added
    /// <see cref="Sequence"/> and <see cref="ManifestSha256"/>.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    public required int FormatVersion { get; init; }
    public required string Id { get; init; }

    /// <summary>The write order within the store, also in <see cref="Id"/>: 1 for the first, 0 for a version 1 checkpoint.</summary>
    public long Sequence { get; init; }

    public required DateTime CreatedUtc { get; init; }
    public required ModelShape Model { get; init; }
    public required OptimizerOptions Optimizer { get; init; }
    public required CheckpointCounters Counters { get; init; }
    /// <summary>Written as "phase", the name format version 1 gave it.</summary>
    [JsonPropertyName("phase")]
    public required CheckpointStage Stage { get; init; }

    /// <summary>
    /// The whole random state: every random draw in training (initialisation, shuffling, synthetic events) is derived
    /// from this seed and the step or event counter, so seed plus <see cref="Counters"/> resume it exactly.
    /// </summary>
    public required long Seed { get; init; }

    public required DataPositions Positions { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>The tensor files; manifest.json itself and the PINNED marker are not listed.</summary>
    public required IReadOnlyList<CheckpointFile> Files { get; init; }

    /// <summary>
    /// SHA-256 (lowercase hex) of the manifest's other properties as compact JSON (see <see cref="ManifestJson"/>);
    /// null in a version 1 manifest; set by <see cref="ManifestJson.Seal"/> and on every write.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ManifestSha256 { get; init; }

    [JsonIgnore]
    public long FileBytes => Files.Sum(f => f.Bytes);
}

public sealed record CheckpointFile(string Name, long Bytes, string Sha256);

/// <summary>
/// The configured shape, the feature schema with what was measured for it, and the widths the MLPs have now
/// (narrower than configured while AMGP has them pruned).
/// </summary>
public sealed record ModelShape
{
    /// <summary>The schema the model was trained under: its dense inputs and its tables (with their rows), in order.</summary>
    public required FeatureSchema Features { get; init; }

    /// <summary>The standardized features' moments on the offline data.</summary>
    public required FeatureStatistics Statistics { get; init; }

    public required int EmbeddingDim { get; init; }
    public required IReadOnlyList<int> BottomLayers { get; init; }
    public required IReadOnlyList<int> TopHidden { get; init; }
    public required MlpWidths CurrentWidths { get; init; }

    public static ModelShape Of(DlrmModel model) => new()
    {
        Features = model.Config.Features,
        Statistics = model.Statistics,
        EmbeddingDim = model.Config.EmbeddingDim,
        BottomLayers = model.Config.BottomLayers,
        TopHidden = model.Config.TopHidden,
        CurrentWidths = new MlpWidths(model.Bottom.Widths, model.Top.Widths),
    };

    public DlrmConfig ToConfig() => new()
    {
        Features = Features,
        EmbeddingDim = EmbeddingDim,
        BottomLayers = BottomLayers,
        TopHidden = TopHidden,
    };
}

/// <summary>Every layer width of each MLP, input and output included.</summary>
public sealed record MlpWidths(IReadOnlyList<int> Bottom, IReadOnlyList<int> Top);

/// <summary>The trainer's counters and any others the caller keeps (events consumed, dead-lettered, ...).</summary>
public sealed record CheckpointCounters
{
    public required long Steps { get; init; }
    public required long Samples { get; init; }
    public required IReadOnlyDictionary<string, long> Other { get; init; }
}

public enum TrainingStage
{
    Offline,

    /// <summary>The offline phase's final, full-size model: pinned automatically.</summary>
    OfflineFinal,

    Streaming,
}

public sealed record CheckpointStage(TrainingStage Kind, int? AmgpPhaseIndex = null, string? AmgpMode = null);

/// <summary>Where reading resumes: in offline files, in the synthetic generator, in Kafka partitions.</summary>
public sealed record DataPositions(IReadOnlyList<FilePosition> Files, IReadOnlyList<StreamPosition> Kafka)
{
    public static readonly DataPositions None = new([], []);

    /// <summary>Offline training on synthetic data: the next event of the generator.</summary>
    public SyntheticPosition? Synthetic { get; init; }

    /// <summary>
    /// The cluster and topic <see cref="Kafka"/> was read from: offsets mean nothing on another cluster, so a start
    /// against one refuses them. Absent in checkpoints written before it was stored, and in offline ones.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StreamSource? KafkaSource { get; init; }
}

/// <param name="ClusterId">The id the brokers report for their cluster (Kafka's cluster.id); empty when they reported none.</param>
/// <param name="Topic">The topic the positions are in.</param>
public sealed record StreamSource(string ClusterId, string Topic)
{
    /// <summary>The same topic, and the same cluster as far as both know theirs.</summary>
    public bool Matches(StreamSource other) =>
        Topic == other.Topic && (ClusterId.Length == 0 || other.ClusterId.Length == 0 || ClusterId == other.ClusterId);

    public override string ToString() => ClusterId.Length == 0 ? $"topic {Topic} of a Kafka cluster that reported no id" : $"topic {Topic} of Kafka cluster {ClusterId}";
}

/// <param name="Seed">Generator seed (Synthetic:Seed); resuming with another seed would train on other data.</param>
/// <param name="NextEvent">Index of the next event to train on.</param>
public sealed record SyntheticPosition(ulong Seed, long NextEvent);

/// <param name="Offset">Byte offset of the next line to read (TSV, JSON lines); 0 for Parquet, which resumes by row.</param>
/// <param name="LineNumber">Records (lines or Parquet rows) of the file consumed before that point.</param>
public sealed record FilePosition(string Path, long Offset, long LineNumber);

/// <summary>Where reading a stream partition resumes: the one position type of the reader, the trainer, checkpoints and commits.</summary>
/// <param name="NextOffset">The offset of the next message to train on.</param>
public sealed record StreamPosition(string Topic, int Partition, long NextOffset)
{
    [JsonIgnore]
    public StreamPartition Of => new(Topic, Partition);
}

/// <summary>A partition of a stream's topic.</summary>
public readonly record struct StreamPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}[{Partition}]";
}
