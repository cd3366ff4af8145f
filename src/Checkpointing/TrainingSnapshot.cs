using Recurring.Core.Training;

namespace Recurring.Checkpointing;

/// <summary>
/// What a checkpoint captures: the trainer (with its model, optimizer state and step and sample counters) and what
/// only the caller knows. Save between training steps: the tensors are read while they are written out.
/// </summary>
public sealed record TrainingSnapshot(DlrmTrainer Trainer, CheckpointStage Stage, long Seed)
{
    public DataPositions Positions { get; init; } = DataPositions.None;
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Counters beyond steps and samples: events consumed, dead-lettered, ...</summary>
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();
}
