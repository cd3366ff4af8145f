using Recurring.Checkpointing;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Admin;

/// <summary>GET /status: the daemon's state plus a configuration summary without secrets.</summary>
public static class StatusDocument
{
    public static object Of(StatusSnapshot s, RecurringSettings settings, KafkaEndpoint kafka)
    {
        var (activity, model, offline, streaming, reader, checkpoints) = (s.Activity, s.Model, s.Offline, s.Streaming, s.Reader, s.Checkpoints);
        return new
        {
            phase = activity.Activity.ToString().ToLowerInvariant(),
            activity.FailureReason,
            reader.Paused,
            model = new
            {
                activity.ModelLoaded, activity.Device, libTorch = activity.LibTorch, gpu = activity.Gpu, model.Parameters,
                bottomWidths = model.BottomWidths, topWidths = model.TopWidths,
            },
            training = new { activity.TrainerRunning, model.Steps, model.Samples, model.SamplesPerSecond, model.GradientNorm },
            offline = new
            {
                offline.PlannedSamples, etaSeconds = OfflineEtaSeconds(s), offline.EvalAuc, offline.BayesAuc, offline.MlpFlopsRatioToDense,
                offline.AmgpMode, offline.AmgpPhase,
            },
            streaming = new
            {
                streaming.EventsConsumed,
                reader.OffsetsDeleted,
                reader.OffsetsRewound,
                streaming.EventsTrained,
                streaming.Batches,
                streaming.SkippedBatches,
                streaming.EventsRolledBack,
                streaming.ValuesDropped,
                streaming.PausedReason,
                deadLettered = streaming.DeadLettered,
                progressive = streaming.ProgressiveWindow is { } w ? new { w.Count, w.Auc, w.LogLoss, ne = w.NormalizedEntropy, w.ClickRate } : null,
                cumulativeLogLoss = Finite(streaming.ProgressiveCumulativeLogLoss),
                cumulativeNe = Finite(streaming.ProgressiveCumulativeNe),
            },
            deadLetters = new
            {
                s.DeadLetters.Sink,
                s.DeadLetters.SinkProblem,
                s.DeadLetters.QuarantineFile,
                s.DeadLetters.Quarantined,
                s.DeadLetters.Lost,
            },
            kafka = new
            {
                reachable = reader.Reachable,
                error = reader.Error,
                embeddedBroker = kafka.EmbeddedCluster?.BootstrapServers,
                embeddedProducer = kafka.EmbeddedFirstEvent is { } first ? new { firstEvent = first, delivered = kafka.EmbeddedEventsDelivered } : null,
                partitions = reader.Partitions.Select(p => new
                {
                    p.Topic, p.Partition, p.Position, p.HighWatermark, p.Lag,
                    freshnessSeconds = FreshnessSeconds(s, new StreamPartition(p.Topic, p.Partition)),
                }),
            },
            checkpoints = new
            {
                written = checkpoints.Written,
                failures = checkpoints.Failures,
                corruptSkipped = checkpoints.CorruptSkipped,
                lastId = checkpoints.LastId,
                lastUtc = checkpoints.LastUtc,
                ageSeconds = s.CheckpointAgeSeconds,
                lastSeconds = checkpoints.LastSeconds,
                lastBytes = checkpoints.LastBytes,
                lastError = checkpoints.LastError,
            },
            configuration = ConfigurationSummary(settings, kafka),
        };
    }

    /// <summary>Seconds left of the offline phase at the current rate; null outside it or before a rate is known.</summary>
    public static double? OfflineEtaSeconds(StatusSnapshot s) =>
        s.Activity.Activity == DaemonActivity.Offline && s.Model.SamplesPerSecond > 0 && s.Offline.PlannedSamples > 0
            ? Math.Max(0, s.Offline.PlannedSamples - s.Model.Samples) / s.Model.SamplesPerSecond
            : null;

    /// <summary>Now minus the Kafka timestamp of the last event trained from the partition; null before the first.</summary>
    public static double? FreshnessSeconds(StatusSnapshot s, StreamPartition partition) =>
        s.Streaming.LastTrainedEventUtc.TryGetValue(partition, out var at) ? Math.Max(0, (s.TakenUtc - at).TotalSeconds) : null;

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static SortedDictionary<string, string> ConfigurationSummary(RecurringSettings settings, KafkaEndpoint kafka)
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
            ["Checkpoints:EveryEvents"] = $"{settings.Checkpoints.EveryEvents}",
            ["Checkpoints:EverySeconds"] = $"{settings.Checkpoints.EverySeconds}",
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
