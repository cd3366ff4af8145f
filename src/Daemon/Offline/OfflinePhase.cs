using Recurring.Checkpointing;
using Recurring.Core.Growth;
using Recurring.Core.Training;
using Recurring.Daemon.Checkpoints;

namespace Recurring.Daemon.Offline;

/// <summary>Offline training with checkpoints: every so many events, and a pinned full-size one at the end.</summary>
public sealed class OfflinePhase(OfflineSetup setup, CheckpointWriter? checkpoints, long checkpointEveryEvents)
{
    public const string EvalAucMetric = "eval.auc";
    public const string EvalLogLossMetric = "eval.logloss";
    public const string EvalNeMetric = "eval.ne";
    public const string BayesAucMetric = "eval.bayes_auc";

    private long _nextCheckpointAt = setup.Trainer.Samples + checkpointEveryEvents;

    /// <summary>Told about each checkpoint written.</summary>
    public event Action<CheckpointInfo, TrainingStage>? CheckpointWritten;

    /// <summary>Trains what is left and, when checkpointing, writes the final checkpoint (returned).</summary>
    public async Task<(OfflineResult Result, CheckpointInfo? Final)> RunAsync(OfflineTrainer trainer, CancellationToken cancellationToken)
    {
        var result = await trainer.RunAsync(setup.Source, checkpoints is null ? null : _ => CheckpointIfDueAsync(trainer), cancellationToken);
        if (checkpoints is null) return (result, null);
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopped part-way: keep the progress (a write is atomic, so it is not cancelled).
            await SaveAsync(trainer, TrainingStage.Offline);
            return (result, null);
        }
        // The schedule ends full width; a run cut short (the source ended early) is grown back before it is final.
        setup.Growth?.BeforeStep(setup.Schedule.TotalSteps);
        var final = await SaveAsync(trainer, TrainingStage.OfflineFinal);
        return (result, final);
    }

    private async ValueTask CheckpointIfDueAsync(OfflineTrainer trainer)
    {
        if (setup.Trainer.Samples < _nextCheckpointAt) return;
        await SaveAsync(trainer, TrainingStage.Offline);
        _nextCheckpointAt = setup.Trainer.Samples + checkpointEveryEvents;
    }

    /// <summary>Never cancelled: a write is atomic, so letting it finish during shutdown is both safe and what saves the work.</summary>
    private async Task<CheckpointInfo> SaveAsync(OfflineTrainer trainer, TrainingStage kind)
    {
        var phase = setup.Schedule.PhaseAt(Math.Max(0, setup.Trainer.Steps - 1));
        var snapshot = new TrainingSnapshot(setup.Trainer,
            new CheckpointStage(kind, kind == TrainingStage.OfflineFinal ? null : phase.Index, setup.Schedule.Options.Mode.Name()),
            setup.TrainingSeed)
        {
            Positions = setup.Position(),
            Counters = setup.Counters(),
            Metrics = Metrics(trainer),
        };
        var written = await checkpoints!.WriteAsync(snapshot, pin: kind == TrainingStage.OfflineFinal);
        CheckpointWritten?.Invoke(written.Info, kind);
        return written.Info;
    }

    private Dictionary<string, double> Metrics(OfflineTrainer trainer)
    {
        var metrics = new Dictionary<string, double>
        {
            [OfflineSetup.FlopsMlpMetric] = trainer.Flops.MlpFlops,
            [OfflineSetup.FlopsInteractionMetric] = trainer.Flops.InteractionFlops,
            [OfflineSetup.FlopsFullWidthMlpMetric] = trainer.Flops.FullWidthMlpFlops,
        };
        if (trainer.LatestEvaluation is { } point)
        {
            metrics[EvalAucMetric] = point.Result.Model.Auc;
            metrics[EvalLogLossMetric] = point.Result.Model.LogLoss;
            metrics[EvalNeMetric] = point.Result.Model.NormalizedEntropy;
            if (point.Result.Bayes is { } bayes) metrics[BayesAucMetric] = bayes.Auc;
        }
        return metrics;
    }
}
