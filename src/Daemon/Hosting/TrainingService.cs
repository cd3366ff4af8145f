using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Offline;
using Recurring.Daemon.Streaming;
using static TorchSharp.torch;

namespace Recurring.Daemon.Hosting;

/// <summary>
/// The daemon's one job, from start to stop. It restores the newest valid checkpoint and goes on from there:
/// a streaming checkpoint streams from its stored offsets; the offline phase's final model streams from
/// Kafka:StartFrom; an interrupted offline run resumes offline; nothing at all runs the offline phase (AMGP on the
/// configured history) first. A failure stops the host with a non-zero exit code, so systemd or Kubernetes
/// restarts it from the last checkpoint.
/// </summary>
public sealed class TrainingService(
    RecurringSettings settings,
    KafkaConnection kafka,
    DaemonStatus status,
    TrainingControl control,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<TrainingService>();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Training blocks its thread for long stretches; keep it off the host's start-up path.
        Task.Run(() => RunAsync(stoppingToken), CancellationToken.None);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Only once the whole host is up, the admin port bound: a host that cannot start (the port is taken) has
            // touched no checkpoint.
            await HostStartedAsync(stoppingToken);
            var torchDevice = settings.ResolveDevice();
            var device = torchDevice.Device;
            _logger.LogInformation("Training on {Device}", torchDevice.Describe());
            status.Update(s => s with { Device = device.ToString(), LibTorch = torchDevice.LibTorchDirectory, Gpu = torchDevice.Gpu });
            var checkpoints = CheckpointManager.ForDirectory(settings.Checkpoints, loggers.CreateLogger<CheckpointManager>());
            int stale = await checkpoints.RemoveStaleTemporaryFoldersAsync(stoppingToken);
            if (stale > 0) _logger.LogWarning("Removed {Count} incomplete checkpoint folder(s) left by an interrupted write", stale);

            var restored = await checkpoints.RestoreLatestAsync(device, accept: null, stoppingToken);
            status.Update(s => s with { CorruptCheckpointsSkipped = checkpoints.SkippedCheckpoints });
            if (restored is not null)
                _logger.LogInformation("Restored checkpoint {Id} ({Phase}, step {Step})", restored.Manifest.Id, restored.Manifest.Phase.Kind, restored.Manifest.Counters.Steps);

            if (restored is null || restored.Manifest.Phase.Kind == PhaseKind.Offline)
            {
                restored = await RunOfflineAsync(checkpoints, device, restored, stoppingToken);
                if (restored is null) return; // stopped during the offline phase, its progress checkpointed
            }

            using (restored)
            {
                await StreamAsync(checkpoints, restored, stoppingToken);
            }
            status.Update(s => s with { Phase = DaemonPhase.Stopping, TrainerRunning = false });
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            status.Update(s => s with { Phase = DaemonPhase.Stopping, TrainerRunning = false });
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "Training failed; stopping so the supervisor restarts from the last checkpoint");
            status.Update(s => s with { Phase = DaemonPhase.Failed, FailureReason = e.Message, TrainerRunning = false });
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task HostStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    /// <summary>Runs (or resumes) the offline phase; returns the trainer holding the final full-size model, or null when stopped.</summary>
    private async Task<RestoredCheckpoint?> RunOfflineAsync(CheckpointManager checkpoints, Device device, RestoredCheckpoint? resume, CancellationToken stoppingToken)
    {
        var setup = OfflineSetup.Create(settings, device, resume, (file, error) =>
            _logger.LogWarning("Skipped {File}:{Line}: {Reason}", Path.GetFileName(file), error.LineNumber, error.Reason));
        _logger.LogInformation("Offline phase on {Data}: {Mode}, {Remaining:N0} events to go", setup.DataDescription,
            setup.Schedule.Options.Mode.Name(), setup.Options.MaxEvents);
        status.Update(s => s with
        {
            Phase = DaemonPhase.Offline,
            ModelLoaded = true,
            TrainerRunning = true,
            AmgpMode = setup.Schedule.Options.Mode.Name(),
            OfflinePlannedSamples = setup.Trainer.Samples + setup.Options.MaxEvents,
            Parameters = setup.Model.ParameterCount,
            BottomWidths = setup.Model.Bottom.Widths,
            TopWidths = setup.Model.Top.Widths,
        });

        var trainer = setup.CreateTrainer();
        trainer.Progress += progress => status.Update(s => s with
        {
            Steps = progress.Step,
            Samples = progress.Samples,
            SamplesPerSecond = progress.SamplesPerSecond,
            OfflineEvalAuc = progress.LatestEvaluation.Result.Model.Auc,
            OfflineBayesAuc = progress.LatestEvaluation.Result.Bayes?.Auc,
            MlpFlopsRatioToDense = trainer.Flops.MlpRatioToDense,
            AmgpPhase = setup.Schedule.PhaseAt(Math.Max(0, progress.Step - 1)).Index,
        });
        if (setup.Growth is not null)
        {
            setup.Growth.PhaseChanged += change =>
            {
                _logger.LogInformation("AMGP at step {Step}: {Action} to bottom [{Bottom}] top [{Top}]", change.Step, change.Pruned ? "pruned" : "grown",
                    string.Join(", ", change.BottomHidden), string.Join(", ", change.TopHidden));
                status.Update(s => s with { BottomWidths = setup.Model.Bottom.Widths, TopWidths = setup.Model.Top.Widths, AmgpPhase = change.PhaseIndex });
            };
        }

        var phase = new OfflinePhase(setup, checkpoints, settings.CheckpointSchedule.EveryEvents);
        phase.CheckpointWritten += (info, _) => status.RecordCheckpoint(info, checkpoints.SkippedCheckpoints);
        var (result, final) = await phase.RunAsync(trainer, stoppingToken);
        if (final is null)
        {
            setup.Dispose();
            return null;
        }

        _logger.LogInformation("Offline phase done: eval AUC {Auc:F4} (Bayes {Bayes}), NE {Ne:F4}, MLP FLOPs {Flops:P1} of dense; final model {Id} pinned",
            result.FinalEvaluation.Model.Auc, result.FinalEvaluation.Bayes?.Auc.ToString("F4") ?? "n/a", result.FinalEvaluation.Model.NormalizedEntropy,
            result.Flops.MlpRatioToDense, final.Id);
        // Streaming goes on from the final checkpoint exactly as a restart would: restore it.
        setup.Dispose();
        return await checkpoints.RestoreLatestAsync(device, m => m.Id == final.Id, stoppingToken)
               ?? throw new CheckpointException($"The offline phase's final checkpoint {final.Id} does not verify.");
    }

    private async Task StreamAsync(CheckpointManager checkpoints, RestoredCheckpoint restored, CancellationToken stoppingToken)
    {
        var options = kafka.Options;
        var model = restored.Model;
        using var deadLetters = CreateDeadLetterSink(options);
        using var modelUpdates = options.ModelUpdatesTopic.Length == 0
            ? null
            : new ModelUpdatePublisher(options.ToProducerConfig(), options.ModelUpdatesTopic,
                KafkaResilience.CreateRetryPipeline(options.Retry, _logger, "model update"), loggers.CreateLogger<ModelUpdatePublisher>());
        // The embedded broker lives and dies with this process: a restored checkpoint's offsets name a topic that is
        // gone. The new topic is read from its start, and the synthetic stream resumes after the events this model
        // already consumed (to within the partitions' lag at that checkpoint), so a restart does not replay them.
        var manifest = kafka.EmbeddedCluster is null ? restored.Manifest : restored.Manifest with { Positions = DataPositions.None };
        var trainer = new StreamingTrainer(restored.Trainer, manifest, checkpoints, Path.GetFullPath(settings.Checkpoints.Directory),
            settings.CheckpointSchedule, settings.Streaming, deadLetters, modelUpdates, status, loggers.CreateLogger<StreamingTrainer>(), settings.Training.Seed);
        using var reader = new KafkaEventReader(options, settings.Streaming, new FeatureHashing(model.Config.RowsPerTable),
            trainer.Positions.ToDictionary(p => p.Key, p => p.Value), status, loggers.CreateLogger<KafkaEventReader>());

        status.Update(s => s with
        {
            Phase = DaemonPhase.Streaming,
            ModelLoaded = true,
            TrainerRunning = true,
            Parameters = model.ParameterCount,
            BottomWidths = model.Bottom.Widths,
            TopWidths = model.Top.Widths,
            LastCheckpointId = restored.Manifest.Id,
            LastCheckpointUtc = new DateTimeOffset(restored.Manifest.CreatedUtc, TimeSpan.Zero),
        });
        _logger.LogInformation("Streaming from {Topic} ({Positions})", options.Topic,
            trainer.Positions.Count == 0 ? $"new partitions start at {options.StartFrom}" : string.Join(", ", trainer.Positions.Select(p => $"{p.Key.Partition.Value}@{p.Value}")));

        reader.Start(stoppingToken);
        control.Attach(reader, trainer);
        kafka.StartEmbeddedProducer(alreadyStreamed: trainer.EventsConsumed);
        try
        {
            var finalPositions = await trainer.RunAsync(reader.Items, reader, stoppingToken);
            await reader.CompleteAsync(finalPositions);
        }
        finally
        {
            control.Detach();
        }
    }

    private IDeadLetterSink CreateDeadLetterSink(KafkaOptions options) =>
        options.DeadLetterTopic.Length > 0
            ? new KafkaDeadLetterSink(options.ToProducerConfig(), options.DeadLetterTopic,
                KafkaResilience.CreateRetryPipeline(options.Retry, _logger, "dead letter"), loggers.CreateLogger<KafkaDeadLetterSink>())
            : new FileDeadLetterSink(Path.GetFullPath(settings.Streaming.DeadLetterFile));
}
