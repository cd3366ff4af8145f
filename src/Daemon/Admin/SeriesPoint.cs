using Recurring.Daemon.Status;

namespace Recurring.Daemon.Admin;

/// <summary>
/// What the live page charts, taken from one status snapshot: small and flat, so that hours of samples in the
/// ring stay a few megabytes. Figures not known yet (no progressive window before the first events) are null.
/// </summary>
public sealed record SeriesPoint
{
    public required string Phase { get; init; }
    public required long Samples { get; init; }
    public required double SamplesPerSecond { get; init; }
    public required long EventsTrained { get; init; }
    public double? OfflineEvalAuc { get; init; }
    public double? Auc { get; init; }
    public double? Ne { get; init; }
    public double? LogLoss { get; init; }
    public long? Lag { get; init; }
    public double? FreshnessSeconds { get; init; }
    public required IReadOnlyList<int> BottomWidths { get; init; }
    public required IReadOnlyList<int> TopWidths { get; init; }
    public required IReadOnlyDictionary<string, long> DeadLettered { get; init; }
    public required long CheckpointsWritten { get; init; }
    public required long WorkingSetBytes { get; init; }
    public required long ManagedHeapBytes { get; init; }

    public static SeriesPoint Of(StatusSnapshot s) => new()
    {
        Phase = s.Activity.Activity.ToString().ToLowerInvariant(),
        Samples = s.Model.Samples,
        SamplesPerSecond = s.Model.SamplesPerSecond,
        EventsTrained = s.Streaming.EventsTrained,
        OfflineEvalAuc = Finite(s.Offline.EvalAuc),
        Auc = Finite(s.Streaming.ProgressiveWindow?.Auc),
        Ne = Finite(s.Streaming.ProgressiveWindow?.NormalizedEntropy),
        LogLoss = Finite(s.Streaming.ProgressiveWindow?.LogLoss),
        Lag = s.Reader.Partitions.Count == 0 ? null : s.Reader.Partitions.Sum(p => p.Lag),
        FreshnessSeconds = s.Streaming.LastTrainedEventUtc.Count == 0
            ? null
            : s.Streaming.LastTrainedEventUtc.Keys.Max(partition => StatusDocument.FreshnessSeconds(s, partition)),
        // Input and output widths never change; the page charts the hidden layers, which AMGP grows and prunes.
        BottomWidths = Hidden(s.Model.BottomWidths),
        TopWidths = Hidden(s.Model.TopWidths),
        DeadLettered = s.Streaming.DeadLettered,
        CheckpointsWritten = s.Checkpoints.Written,
        WorkingSetBytes = Environment.WorkingSet,
        ManagedHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
    };

    private static int[] Hidden(IReadOnlyList<int> widths) => widths.Count > 2 ? widths.Skip(1).SkipLast(1).ToArray() : [];

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
