using Prometheus;
using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Admin;

/// <summary>
/// /metrics in the Prometheus text format, via prometheus-net (stable, exact exposition format; OpenTelemetry's
/// Prometheus exporter is still a beta). Every value is read from <see cref="DaemonStatus"/> just before a scrape,
/// so the status JSON and the metrics can never disagree and the training loop does no extra bookkeeping.
/// </summary>
public sealed class RecurringMetrics
{
    /// <summary>For figures that mean nothing until first known: absent from a scrape rather than a misleading 0.</summary>
    private static readonly GaugeConfiguration Unset = new() { SuppressInitialValue = true };

    public RecurringMetrics(DaemonStatus status)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        // The standard process_* and dotnet_* families: resident memory, CPU seconds, threads, GC counts.
        DotNetStats.Register(Registry);

        var consumed = factory.CreateCounter("recurring_events_consumed_total", "Kafka messages consumed (trained or dead-lettered).");
        var trained = factory.CreateCounter("recurring_events_trained_total", "Events the model was trained on.");
        var deletedOffsets = factory.CreateCounter("recurring_offsets_deleted_unread_total", "Events the brokers deleted (retention) before they were read: never trained.");
        var deadLettered = factory.CreateCounter("recurring_events_dead_lettered_total", "Events set aside, by reason.", "reason");
        var batches = factory.CreateCounter("recurring_batches_total", "Training batches applied.");
        var skipped = factory.CreateCounter("recurring_batches_skipped_total", "Batches skipped because their loss or gradients were not finite.");
        var steps = factory.CreateGauge("recurring_training_steps", "Optimizer steps since the model was created.");
        var rate = factory.CreateGauge("recurring_samples_per_second", "Training throughput over the last few seconds.");
        var auc = factory.CreateGauge("recurring_progressive_auc", "AUC of predictions made before training on each event, over the sliding window.", Unset);
        var logloss = factory.CreateGauge("recurring_progressive_logloss", "Log loss of predictions made before training, over the sliding window.", Unset);
        var ne = factory.CreateGauge("recurring_progressive_ne", "Normalized entropy of predictions made before training, over the sliding window.", Unset);
        var lag = factory.CreateGauge("recurring_consumer_lag", "Messages behind the newest, per partition.", "topic", "partition");
        var checkpoints = factory.CreateCounter("recurring_checkpoints_total", "Checkpoints written.");
        var checkpointFailures = factory.CreateCounter("recurring_checkpoint_failures_total", "Checkpoint writes that failed (previous checkpoints intact).");
        var corrupt = factory.CreateCounter("recurring_checkpoints_corrupt_skipped_total", "Damaged checkpoints passed over when restoring.");
        var checkpointSeconds = factory.CreateGauge("recurring_checkpoint_duration_seconds", "Duration of the last checkpoint write.");
        var checkpointBytes = factory.CreateGauge("recurring_checkpoint_bytes", "Size of the last checkpoint.");
        var checkpointAge = factory.CreateGauge("recurring_checkpoint_age_seconds", "Seconds since the last checkpoint.", Unset);
        var phase = factory.CreateGauge("recurring_phase", "1 for the current phase.", "phase");
        var widths = factory.CreateGauge("recurring_mlp_width", "Current width of each MLP layer.", "mlp", "layer");
        var flops = factory.CreateGauge("recurring_offline_mlp_flops_ratio", "MLP training FLOPs of the offline phase relative to dense training.");
        var offlineAuc = factory.CreateGauge("recurring_offline_eval_auc", "Held-out AUC during the offline phase.", Unset);
        var kafkaUp = factory.CreateGauge("recurring_kafka_reachable", "1 when the brokers answer.");
        var paused = factory.CreateGauge("recurring_paused", "1 while training is paused.");

        Registry.AddBeforeCollectCallback(() =>
        {
            var s = status.Current;
            consumed.IncTo(s.EventsConsumed);
            trained.IncTo(s.EventsTrained);
            deletedOffsets.IncTo(s.OffsetsDeleted);
            foreach (var (reason, count) in s.DeadLettered) deadLettered.WithLabels(reason).IncTo(count);
            batches.IncTo(s.Batches);
            skipped.IncTo(s.SkippedBatches);
            steps.Set(s.Steps);
            rate.Set(s.SamplesPerSecond);
            if (s.ProgressiveWindow is { } window)
            {
                auc.Set(window.Auc);
                logloss.Set(window.LogLoss);
                ne.Set(window.NormalizedEntropy);
            }
            foreach (var partition in s.Partitions) lag.WithLabels(partition.Topic, partition.Partition.ToString()).Set(partition.Lag);
            checkpoints.IncTo(s.CheckpointsWritten);
            checkpointFailures.IncTo(s.CheckpointFailures);
            corrupt.IncTo(s.CorruptCheckpointsSkipped);
            checkpointSeconds.Set(s.LastCheckpointSeconds);
            checkpointBytes.Set(s.LastCheckpointBytes);
            if (status.CheckpointAgeSeconds(s) is { } age) checkpointAge.Set(age);
            foreach (var p in Enum.GetValues<DaemonPhase>()) phase.WithLabels(p.ToString().ToLowerInvariant()).Set(p == s.Phase ? 1 : 0);
            for (int i = 0; i < s.BottomWidths.Count; i++) widths.WithLabels("bottom", i.ToString()).Set(s.BottomWidths[i]);
            for (int i = 0; i < s.TopWidths.Count; i++) widths.WithLabels("top", i.ToString()).Set(s.TopWidths[i]);
            flops.Set(s.MlpFlopsRatioToDense);
            if (s.OfflineEvalAuc is { } evalAuc) offlineAuc.Set(evalAuc);
            kafkaUp.Set(s.KafkaReachable ? 1 : 0);
            paused.Set(s.Paused ? 1 : 0);
        });
    }

    public CollectorRegistry Registry { get; }
}
