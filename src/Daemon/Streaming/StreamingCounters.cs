using Recurring.Checkpointing;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Recurring training's counts over the model's whole streaming history, restored from and saved into each
/// checkpoint (as the manifest's named counters, the one place their names are spelled).
/// </summary>
public sealed record StreamingCounters
{
    private const string ConsumedKey = "streaming.events_consumed";
    private const string TrainedKey = "streaming.events_trained";
    private const string BatchesKey = "streaming.batches";
    private const string SkippedBatchesKey = "streaming.skipped_batches";
    private const string RolledBackKey = "streaming.events_rolled_back";
    private const string OperatorSkipsKey = "streaming.operator_skips";
    private const string SkippedByOperatorKey = "streaming.events_skipped_by_operator";
    private const string ValuesDroppedKey = "streaming.values_dropped";
    private const string DeadLetterPrefix = "streaming.dead_lettered.";

    /// <summary>Messages passed: trained, dead-lettered or rolled back.</summary>
    public long Consumed { get; init; }
    public long Trained { get; init; }
    public long Batches { get; init; }
    public long SkippedBatches { get; init; }

    /// <summary>Events trained, then taken out of the model again by a rollback to an earlier checkpoint (non-finite batches).</summary>
    public long RolledBack { get; init; }

    /// <summary>Times an operator moved a position forward (`recurring checkpoints skip`), and the offsets stepped over.</summary>
    public long OperatorSkips { get; init; }
    public long SkippedByOperator { get; init; }
    public IReadOnlyDictionary<string, long> DeadLettered { get; init; } = new Dictionary<string, long>();

    /// <summary>Values of multi-valued features beyond their MaxValues, dropped from events that were trained on.</summary>
    public long ValuesDropped { get; init; }

    /// <summary>The counts a streaming checkpoint holds; a fresh start for any other checkpoint.</summary>
    public static StreamingCounters From(CheckpointManifest? manifest)
    {
        if (manifest?.Stage.Kind != TrainingStage.Streaming) return new StreamingCounters();
        var named = manifest.Counters.Other;
        return new StreamingCounters
        {
            Consumed = named.GetValueOrDefault(ConsumedKey),
            Trained = named.GetValueOrDefault(TrainedKey),
            Batches = named.GetValueOrDefault(BatchesKey),
            SkippedBatches = named.GetValueOrDefault(SkippedBatchesKey),
            RolledBack = named.GetValueOrDefault(RolledBackKey),
            OperatorSkips = named.GetValueOrDefault(OperatorSkipsKey),
            SkippedByOperator = named.GetValueOrDefault(SkippedByOperatorKey),
            ValuesDropped = named.GetValueOrDefault(ValuesDroppedKey),
            DeadLettered = named.Where(c => c.Key.StartsWith(DeadLetterPrefix, StringComparison.Ordinal))
                .ToDictionary(c => c.Key[DeadLetterPrefix.Length..], c => c.Value),
        };
    }

    public IReadOnlyDictionary<string, long> ToNamed()
    {
        var named = new Dictionary<string, long>
        {
            [ConsumedKey] = Consumed,
            [TrainedKey] = Trained,
            [BatchesKey] = Batches,
            [SkippedBatchesKey] = SkippedBatches,
            [RolledBackKey] = RolledBack,
            [OperatorSkipsKey] = OperatorSkips,
            [SkippedByOperatorKey] = SkippedByOperator,
            [ValuesDroppedKey] = ValuesDropped,
        };
        foreach (var (kind, count) in DeadLettered) named[DeadLetterPrefix + kind] = count;
        return named;
    }
}
