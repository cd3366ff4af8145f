using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Growth;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Status;
using static TorchSharp.torch;

namespace Recurring.Daemon.Offline;

/// <summary>The parts of the status the offline phase writes, and the heartbeat it beats at every step.</summary>
public sealed record OfflineStatus(StatusCell<OfflineState> Offline, StatusCell<ModelState> Model, TrainStepDurations StepDurations, Heartbeat Heartbeat);

/// <summary>
/// The daemon's offline phase: builds (or resumes) the run from configuration, trains it with periodic checkpoints
/// and a pinned full-size final one, and keeps the offline and model parts of the status.
/// </summary>
public sealed class OfflineRunner(RecurringSettings settings, CheckpointWriter checkpoints, OfflineStatus status, ILogger<OfflineRunner> logger)
{
    /// <summary>
    /// Before the offline phase is announced: a resumed run's progress counts from the restored step, not from 0, while
    /// the run is set up and until its first report.
    /// </summary>
    public void Resuming(RestoredCheckpoint? resume)
    {
        if (resume is not null) status.Model.Update(s => s with { Steps = resume.Trainer.Steps, Samples = resume.Trainer.Samples, SamplesPerSecond = 0 });
    }

    /// <summary>Runs or resumes the offline phase; returns the final full-size model restored from its checkpoint, or null when stopped.</summary>
    public async Task<RestoredCheckpoint?> RunAsync(Device device, RestoredCheckpoint? resume, CancellationToken stoppingToken)
    {
        using var setup = OfflineSetup.Create(settings, device, resume, (file, error) =>
            logger.LogWarning("Skipped {File}:{Record}: {Reason}", Path.GetFileName(file), error.Record, error.Reason));
        logger.LogInformation("Offline phase on {Data}: {Mode}, {Remaining:N0} events to go", setup.DataDescription,
            setup.Schedule.Options.Mode.Name(), setup.Options.MaxEvents);
        if (setup.Schedule.Notice is { } notice) logger.LogWarning("{Notice}", notice);
        if (settings.Offline.DescribeRateBoost(setup.Schedule.TotalSteps) is { } boost) logger.LogInformation("{RateBoost}", boost);
        long planned = setup.Trainer.Samples + setup.Options.MaxEvents;
        status.Offline.Update(s => s with { AmgpMode = setup.Schedule.Options.Mode.Name(), PlannedSamples = planned });
        PublishModel(setup);

        var trainer = setup.CreateTrainer();
        trainer.Progress += progress =>
        {
            status.Offline.Update(s => s with
            {
                EvalAuc = progress.LatestEvaluation.Result.Model.Auc,
                BayesAuc = progress.LatestEvaluation.Result.Bayes?.Auc,
                MlpFlopsRatioToDense = trainer.Flops.MlpRatioToDense,
                AmgpPhase = setup.Schedule.PhaseAt(Math.Max(0, progress.Step - 1)).Index,
            });
            status.Model.Update(s => s with { Steps = progress.Step, Samples = progress.Samples, SamplesPerSecond = progress.SamplesPerSecond });
        };
        // Between evaluations too, every few seconds: samples so far and the current rate (the ETA derives from them).
        trainer.Advanced += advance =>
        {
            double norm = setup.Trainer.ReadMeanGradientNorm();
            status.Model.Update(s => s with
            {
                Steps = advance.Step,
                Samples = advance.Samples,
                SamplesPerSecond = advance.SamplesPerSecond,
                GradientNorm = double.IsFinite(norm) ? norm : s.GradientNorm,
            });
        };
        trainer.StepTrained += duration =>
        {
            status.StepDurations.Record(duration);
            status.Heartbeat.Beat();
        };
        if (setup.Growth is not null)
        {
            setup.Growth.PhaseChanged += change =>
            {
                logger.LogInformation("AMGP at step {Step}: {Action} to bottom [{Bottom}] top [{Top}]", change.Step, change.Pruned ? "pruned" : "grown",
                    string.Join(", ", change.BottomHidden), string.Join(", ", change.TopHidden));
                PublishModel(setup);
                status.Offline.Update(s => s with { AmgpPhase = change.PhaseIndex });
            };
        }

        var phase = new OfflinePhase(setup, checkpoints, settings.Checkpoints.EveryEvents);
        CheckpointInfo? lastWritten = null;
        phase.CheckpointWritten += (info, _) =>
        {
            lastWritten = info;
            status.Heartbeat.Beat(); // the final checkpoint is restored right after its write: two long stretches in a row
        };
        var (result, final) = await phase.RunAsync(trainer, stoppingToken);
        if (final is null)
        {
            logger.LogInformation("Offline phase stopped at step {Step:N0} of {Total:N0} ({Samples:N0} of {Planned:N0} events); the next start resumes from checkpoint {Id}",
                setup.Trainer.Steps, setup.Schedule.TotalSteps, setup.Trainer.Samples, planned, lastWritten?.Id);
            return null;
        }

        logger.LogInformation("Offline phase done: eval AUC {Auc:F4} (Bayes {Bayes}), NE {Ne:F4}, MLP FLOPs {Flops:P1} of dense; final model {Id} pinned",
            result.FinalEvaluation.Model.Auc, result.FinalEvaluation.Bayes?.Auc.ToString("F4") ?? "n/a", result.FinalEvaluation.Model.NormalizedEntropy,
            result.Flops.MlpRatioToDense, final.Id);
        // Streaming goes on from the final checkpoint exactly as a restart would: restore it.
        return await checkpoints.Manager.RestoreLatestAsync(device, m => m.Id == final.Id, stoppingToken)
               ?? throw new CheckpointException($"The offline phase's final checkpoint {final.Id} does not verify.");
    }

    private void PublishModel(OfflineSetup setup) =>
        status.Model.Update(s => s with { Parameters = setup.Model.ParameterCount, BottomWidths = setup.Model.Bottom.Widths, TopWidths = setup.Model.Top.Widths });
}
