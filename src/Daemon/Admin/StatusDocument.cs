using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Admin;

/// <summary>GET /status: the daemon's state plus a configuration summary without secrets.</summary>
public static class StatusDocument
{
    public static object Of(DaemonStatus status, RecurringSettings settings, KafkaConnection kafka)
    {
        var s = status.Current;
        return new
        {
            phase = s.Phase.ToString().ToLowerInvariant(),
            s.FailureReason,
            s.Paused,
            model = new { s.ModelLoaded, s.Device, libTorch = s.LibTorch, gpu = s.Gpu, s.Parameters, bottomWidths = s.BottomWidths, topWidths = s.TopWidths },
            training = new { s.TrainerRunning, s.Steps, s.Samples, s.SamplesPerSecond },
            offline = new { plannedSamples = s.OfflinePlannedSamples, evalAuc = s.OfflineEvalAuc, bayesAuc = s.OfflineBayesAuc, mlpFlopsRatioToDense = s.MlpFlopsRatioToDense, amgpMode = s.AmgpMode, amgpPhase = s.AmgpPhase },
            streaming = new
            {
                s.EventsConsumed,
                s.OffsetsDeleted,
                s.EventsTrained,
                s.Batches,
                s.SkippedBatches,
                deadLettered = s.DeadLettered,
                progressive = s.ProgressiveWindow is { } w ? new { w.Count, w.Auc, w.LogLoss, ne = w.NormalizedEntropy, w.ClickRate } : null,
                cumulativeLogLoss = Finite(s.ProgressiveCumulativeLogLoss),
                cumulativeNe = Finite(s.ProgressiveCumulativeNe),
            },
            kafka = new
            {
                reachable = s.KafkaReachable,
                error = s.KafkaError,
                embeddedBroker = kafka.EmbeddedCluster?.BootstrapServers,
                partitions = s.Partitions.Select(p => new { p.Topic, p.Partition, p.Position, p.HighWatermark, p.Lag }),
            },
            checkpoints = new
            {
                written = s.CheckpointsWritten,
                failures = s.CheckpointFailures,
                corruptSkipped = s.CorruptCheckpointsSkipped,
                lastId = s.LastCheckpointId,
                lastUtc = s.LastCheckpointUtc,
                ageSeconds = status.CheckpointAgeSeconds(s),
                lastSeconds = s.LastCheckpointSeconds,
                lastBytes = s.LastCheckpointBytes,
                lastError = s.LastCheckpointError,
            },
            configuration = ConfigurationSummary(settings, kafka),
        };
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static SortedDictionary<string, string> ConfigurationSummary(RecurringSettings settings, KafkaConnection kafka)
    {
        var summary = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Training:Device"] = settings.Training.Device,
            ["Training:BatchSize"] = $"{settings.Training.BatchSize}",
            ["Training:Deterministic"] = $"{settings.Training.Deterministic}",
            ["Model:EmbeddingDim"] = $"{settings.Model.EmbeddingDim}",
            ["Model:RowsPerTable"] = $"{settings.Model.RowsPerTable}",
            ["Offline:Data"] = settings.Offline.Data.Length == 0 ? "(synthetic)" : settings.Offline.Data,
            ["Offline:Amgp:Mode"] = settings.Offline.Amgp.Mode.ToString(),
            ["Checkpoints:Directory"] = Path.GetFullPath(settings.Checkpoints.Directory),
            ["Checkpoints:EveryEvents"] = $"{settings.CheckpointSchedule.EveryEvents}",
            ["Checkpoints:EverySeconds"] = $"{settings.CheckpointSchedule.EverySeconds}",
            ["Checkpoints:KeepLast"] = $"{settings.Checkpoints.KeepLast}",
            ["Checkpoints:KeepDailyDays"] = $"{settings.Checkpoints.KeepDailyDays}",
            ["Streaming:MaxBatchSize"] = $"{settings.Streaming.MaxBatchSize}",
            ["Streaming:MaxBatchWaitMilliseconds"] = $"{settings.Streaming.MaxBatchWaitMilliseconds}",
            ["Admin:BindAddress"] = settings.Admin.BindAddress,
            ["Admin:Token"] = settings.Admin.Token.Length == 0 ? "(none: control routes disabled)" : "***",
        };
        foreach (var (key, value) in kafka.Options.Describe()) summary[key] = value;
        return summary;
    }
}
