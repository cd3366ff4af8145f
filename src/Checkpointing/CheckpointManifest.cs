using System.Text.Json.Serialization;
using Recurring.Core.Model;
using Recurring.Core.Training;

namespace Recurring.Checkpointing;

/// <summary>
/// manifest.json: everything needed to resume, apart from the tensors themselves, and the size and SHA-256 of every
/// tensor file so a damaged or incomplete checkpoint is recognised before it is used.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>The format this build writes and the newest it reads.</summary>
    public const int CurrentFormatVersion = 1;

    public required int FormatVersion { get; init; }
    public required string Id { get; init; }
    public required DateTime CreatedUtc { get; init; }
    public required ModelShape Model { get; init; }
    public required OptimizerOptions Optimizer { get; init; }
    public required CheckpointCounters Counters { get; init; }
    public required CheckpointPhase Phase { get; init; }

    /// <summary>
    /// The whole random state: every random draw in training (initialisation, shuffling, synthetic events) is derived
    /// from this seed and the step or event counter, so seed plus <see cref="Counters"/> resume it exactly.
    /// </summary>
    public required long Seed { get; init; }

    public required DataPositions Positions { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>The tensor files; manifest.json itself and the PINNED marker are not listed.</summary>
    public required IReadOnlyList<CheckpointFile> Files { get; init; }

    [JsonIgnore]
    public long FileBytes => Files.Sum(f => f.Bytes);
}

public sealed record CheckpointFile(string Name, long Bytes, string Sha256);

/// <summary>The configured shape and the widths the MLPs have now (narrower than configured while AMGP has them pruned).</summary>
public sealed record ModelShape
{
    public required int EmbeddingDim { get; init; }
    public required IReadOnlyList<int> RowsPerTable { get; init; }
    public required IReadOnlyList<int> BottomLayers { get; init; }
    public required IReadOnlyList<int> TopHidden { get; init; }
    public required MlpWidths CurrentWidths { get; init; }

    public static ModelShape Of(DlrmModel model) => new()
    {
        EmbeddingDim = model.Config.EmbeddingDim,
        RowsPerTable = model.Config.RowsPerTable,
        BottomLayers = model.Config.BottomLayers,
        TopHidden = model.Config.TopHidden,
        CurrentWidths = new MlpWidths(model.Bottom.Widths, model.Top.Widths),
    };

    public DlrmConfig ToConfig() => new()
    {
        EmbeddingDim = EmbeddingDim,
        RowsPerTable = RowsPerTable,
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

public enum PhaseKind
{
    Offline,

    /// <summary>The offline phase's final, full-size model: pinned automatically.</summary>
    OfflineFinal,

    Streaming,
}

public sealed record CheckpointPhase(PhaseKind Kind, int? AmgpPhaseIndex = null, string? AmgpMode = null);

/// <summary>Where reading resumes: in offline files, in the synthetic generator, in Kafka partitions.</summary>
public sealed record DataPositions(IReadOnlyList<FilePosition> Files, IReadOnlyList<KafkaPosition> Kafka)
{
    public static readonly DataPositions None = new([], []);

    /// <summary>Offline training on synthetic data: the next event of the generator.</summary>
    public SyntheticPosition? Synthetic { get; init; }
}

/// <param name="Seed">Generator seed (Synthetic:Seed); resuming with another seed would train on other data.</param>
/// <param name="NextEvent">Index of the next event to train on.</param>
public sealed record SyntheticPosition(ulong Seed, long NextEvent);

/// <param name="Offset">Byte offset of the next line to read.</param>
/// <param name="LineNumber">1-based number of that line, for messages.</param>
public sealed record FilePosition(string Path, long Offset, long LineNumber);

public sealed record KafkaPosition(string Topic, int Partition, long NextOffset);
