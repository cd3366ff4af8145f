using System.Reflection;
using Prometheus;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Admin;

/// <summary>
/// /metrics in the Prometheus text format, via prometheus-net (stable, exact exposition format; OpenTelemetry's
/// Prometheus exporter is still a beta). Every value is read from <see cref="DaemonStatus"/> just before a scrape,
/// so the status JSON and the metrics can never disagree and the training loop does no extra bookkeeping.
/// </summary>
public sealed class RecurringMetrics : ICheckpointObserver
{
    /// <summary>For figures that mean nothing until first known: absent from a scrape rather than a misleading 0.</summary>
    private static readonly GaugeConfiguration Unset = new() { SuppressInitialValue = true };

    private readonly Histogram _checkpointWrites;

    /// <param name="admin">The readiness limits behind recurring_ready.</param>
    /// <param name="stepDurations">Each training step's duration, for the train-step histogram.</param>
    /// <param name="replicator">Present with Checkpoints:Remote: its figures become the recurring_remote_* metrics.</param>
    public RecurringMetrics(DaemonStatus status, AdminOptions admin, TrainStepDurations stepDurations,
        CheckpointReplicator? replicator = null, RemoteCheckpointStore? remote = null)
    {
        var readiness = new ReadinessCheck(status, admin, replicator);
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        // The standard process_* and dotnet_* families: resident memory, CPU seconds, threads, GC counts.
        DotNetStats.Register(Registry);

        var consumed = factory.CreateCounter("recurring_events_consumed_total", "Kafka messages consumed (trained or dead-lettered).");
        var trained = factory.CreateCounter("recurring_events_trained_total", "Events the model was trained on.");
        var deletedOffsets = factory.CreateCounter("recurring_offsets_deleted_unread_total", "Events the brokers deleted (retention) before they were read: never trained.");
        var rewoundOffsets = factory.CreateCounter("recurring_offsets_rewound_total",
            "Offsets read again because a partition's position lay past its log end (topic recreated or truncated).");
        var deadLettered = factory.CreateCounter("recurring_events_dead_lettered_total", "Events set aside, by reason.", "reason");
        var batches = factory.CreateCounter("recurring_batches_total", "Training batches applied.");
        var skipped = factory.CreateCounter("recurring_batches_skipped_total", "Batches skipped because their loss or gradients were not finite.");
        var rolledBack = factory.CreateCounter("recurring_events_rolled_back_total",
            "Events taken out of the model again by a rollback to the last good checkpoint after a run of non-finite batches.");
        var valuesDropped = factory.CreateCounter("recurring_feature_values_dropped_total",
            "Values of multi-valued features beyond their MaxValues, dropped from events that were trained on.");
        var quarantined = factory.CreateCounter("recurring_dead_letters_quarantined_total",
            "Dead letters written to the local quarantine file because the dead-letter topic or file failed, by reason.", "reason");
        var lettersLost = factory.CreateCounter("recurring_dead_letters_lost_total",
            "Dead letters neither the sink nor the quarantine file could store (source positions logged).");
        var sinkOk = factory.CreateGauge("recurring_dead_letter_sink_ok", "1 while the dead-letter topic or file takes letters; 0 while they go to the quarantine file.");
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
        var ready = factory.CreateGauge("recurring_ready", "1 while /health/ready passes (streaming, brokers reachable, a recent checkpoint).");
        var buildInfo = factory.CreateGauge("recurring_build_info", "Always 1: the daemon's version and commit, the TorchSharp version and the training device.",
            "version", "commit", "torch", "device");
        var lastCheckpoint = factory.CreateGauge("recurring_checkpoint_last_success_timestamp_seconds",
            "Unix time of the last checkpoint written successfully.", Unset);
        var predictedCtr = factory.CreateGauge("recurring_progressive_predicted_ctr", "Mean predicted click probability over the progressive window (calibration).", Unset);
        var observedCtr = factory.CreateGauge("recurring_progressive_observed_ctr", "Observed click rate over the progressive window (calibration).", Unset);
        var freshness = factory.CreateGauge("recurring_event_freshness_seconds",
            "Now minus the Kafka timestamp of the last event trained from the partition.", "topic", "partition");
        var gradientNorm = factory.CreateGauge("recurring_gradient_norm", "Mean L2 norm of the whole gradient over the recent training steps.", Unset);
        _checkpointWrites = factory.CreateHistogram("recurring_checkpoint_write_duration_seconds", "Time to write and verify each checkpoint.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 14) });
        var stepHistogram = factory.CreateHistogram("recurring_train_step_duration_seconds", "Time of each training step (forward, backward, optimizer).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        stepDurations.Recorded += duration => stepHistogram.Observe(duration.TotalSeconds);
        var (version, commit) = DaemonVersion();
        string torch = TorchSharpVersion();

        if (replicator is not null) AddRemoteCopies(factory, replicator, remote!);
        Registry.AddBeforeCollectCallback(() =>
        {
            var s = status.Snapshot();
            var (activity, model, streaming, reader, written) = (s.Activity, s.Model, s.Streaming, s.Reader, s.Checkpoints);
            consumed.IncTo(streaming.EventsConsumed);
            trained.IncTo(streaming.EventsTrained);
            deletedOffsets.IncTo(reader.OffsetsDeleted);
            rewoundOffsets.IncTo(reader.OffsetsRewound);
            foreach (var (reason, count) in streaming.DeadLettered) deadLettered.WithLabels(reason).IncTo(count);
            batches.IncTo(streaming.Batches);
            skipped.IncTo(streaming.SkippedBatches);
            rolledBack.IncTo(streaming.EventsRolledBack);
            valuesDropped.IncTo(streaming.ValuesDropped);
            foreach (var (reason, count) in s.DeadLetters.Quarantined) quarantined.WithLabels(reason).IncTo(count);
            lettersLost.IncTo(s.DeadLetters.Lost);
            sinkOk.Set(s.DeadLetters.SinkProblem is null ? 1 : 0);
            steps.Set(model.Steps);
            rate.Set(model.SamplesPerSecond);
            if (streaming.ProgressiveWindow is { } window)
            {
                auc.Set(window.Auc);
                logloss.Set(window.LogLoss);
                ne.Set(window.NormalizedEntropy);
                predictedCtr.Set(window.MeanPrediction);
                observedCtr.Set(window.ClickRate);
            }
            foreach (var partition in reader.Partitions) lag.WithLabels(partition.Topic, partition.Partition.ToString()).Set(partition.Lag);
            checkpoints.IncTo(written.Written);
            checkpointFailures.IncTo(written.Failures);
            corrupt.IncTo(written.CorruptSkipped);
            checkpointSeconds.Set(written.LastSeconds);
            checkpointBytes.Set(written.LastBytes);
            if (s.CheckpointAgeSeconds is { } age) checkpointAge.Set(age);
            foreach (var p in Enum.GetValues<DaemonActivity>()) phase.WithLabels(p.ToString().ToLowerInvariant()).Set(p == activity.Activity ? 1 : 0);
            for (int i = 0; i < model.BottomWidths.Count; i++) widths.WithLabels("bottom", i.ToString()).Set(model.BottomWidths[i]);
            for (int i = 0; i < model.TopWidths.Count; i++) widths.WithLabels("top", i.ToString()).Set(model.TopWidths[i]);
            flops.Set(s.Offline.MlpFlopsRatioToDense);
            if (s.Offline.EvalAuc is { } evalAuc) offlineAuc.Set(evalAuc);
            kafkaUp.Set(reader.Reachable ? 1 : 0);
            paused.Set(reader.Paused ? 1 : 0);
            ready.Set(readiness.Problems(s).Count == 0 ? 1 : 0);
            foreach (var partition in streaming.LastTrainedEventUtc.Keys)
                freshness.WithLabels(partition.Topic, partition.Partition.ToString()).Set(StatusDocument.FreshnessSeconds(s, partition)!.Value);
            if (model.GradientNorm is { } norm) gradientNorm.Set(norm);
            if (written.LastUtc is { } at) lastCheckpoint.Set(at.ToUnixTimeMilliseconds() / 1000.0);
            // The device is known once libtorch is loaded; one series from then on.
            if (activity.Device.Length > 0) buildInfo.WithLabels(version, commit, torch, activity.Device).Set(1);
        });
    }

    public Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken)
    {
        _checkpointWrites.Observe(checkpoint.Info.Duration.TotalSeconds);
        return Task.CompletedTask;
    }

    /// <summary>The informational version the SDK stamps, "1.2.3+commit" when built from a git checkout.</summary>
    private static (string Version, string Commit) DaemonVersion()
    {
        string informational = typeof(RecurringMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int plus = informational.IndexOf('+');
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }

    private static string TorchSharpVersion() =>
        typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public CollectorRegistry Registry { get; }

    private void AddRemoteCopies(MetricFactory factory, CheckpointReplicator replicator, RemoteCheckpointStore remote)
    {
        var uploads = factory.CreateCounter("recurring_remote_uploads_total", "Checkpoints whose remote copy is complete (files uploaded and read back, manifest last).");
        var failures = factory.CreateCounter("recurring_remote_upload_failures_total", "Upload attempts that failed after their retries; each is tried again.");
        var superseded = factory.CreateCounter("recurring_remote_uploads_skipped_total", "Waiting uploads skipped because newer checkpoints superseded them.");
        var corrupt = factory.CreateCounter("recurring_remote_checkpoints_corrupt_skipped_total", "Damaged remote checkpoints passed over when restoring.");
        var backlog = factory.CreateGauge("recurring_remote_backlog", "Checkpoints waiting for or in their upload.");
        var lag = factory.CreateGauge("recurring_remote_lag_seconds", "How long the oldest checkpoint without a remote copy has waited; 0 when none waits.");
        Registry.AddBeforeCollectCallback(() =>
        {
            uploads.IncTo(replicator.UploadsCompleted);
            failures.IncTo(replicator.UploadFailures);
            superseded.IncTo(replicator.SkippedSuperseded);
            corrupt.IncTo(remote.Remote.SkippedCheckpoints);
            backlog.Set(replicator.Backlog);
            lag.Set(replicator.Lag.TotalSeconds);
        });
    }
}
