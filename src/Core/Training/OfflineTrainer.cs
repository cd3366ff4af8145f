using System.Diagnostics;
using Recurring.Core.Data;

namespace Recurring.Core.Training;

public sealed record OfflineTrainingOptions
{
    public int BatchSize { get; init; } = 512;

    /// <summary>Stop after this many training events (the source may end sooner).</summary>
    public long MaxEvents { get; init; } = 3_000_000;

    /// <summary>Evaluate on the held-out set every this many steps (and always at the end).</summary>
    public int EvaluateEverySteps { get; init; } = 1000;

    /// <summary>Raise <see cref="OfflineTrainer.Advanced"/> at most this often (wall time); zero reports every step.</summary>
    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Steps the run will take if the source does not end early: what an AMGP schedule is laid out over.</summary>
    public long PlannedSteps => (MaxEvents + BatchSize - 1) / BatchSize;

    /// <summary>
    /// Steps of the whole run, those trained before a resume included: what <see cref="MlpRateBoost"/>'s fractions
    /// count. 0 means <see cref="PlannedSteps"/> (a run that starts fresh).
    /// </summary>
    public long RunSteps { get; init; }

    /// <summary>The MLP learning rate's schedule over the run.</summary>
    public MlpRateBoost MlpRateBoost { get; init; } = new();
}

/// <summary>
/// Samples trained so far and the rate since the previous report (training time only), raised every few seconds
/// between evaluations so that a long phase shows movement, with what is left at that rate.
/// </summary>
public sealed record OfflineAdvance(long Step, long Samples, long PlannedSamples, double SamplesPerSecond)
{
    public TimeSpan? Eta => SamplesPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, PlannedSamples - Samples) / SamplesPerSecond) : null;
}

/// <summary>A point of the learning curve, with the hidden widths at that moment.</summary>
public sealed record EvaluationPoint(long Step, long Samples, EvaluationResult Result, int HiddenNeurons);

public sealed record OfflineProgress(
    long Step,
    long Samples,
    long PlannedSamples,
    double SamplesPerSecond,
    double TrainLoss,
    EvaluationPoint LatestEvaluation);

public sealed record OfflineResult(
    long Steps,
    long Samples,
    long SkippedSteps,
    TimeSpan TrainingTime,
    double SamplesPerSecond,
    double FinalTrainLoss,
    EvaluationResult FinalEvaluation,
    IReadOnlyList<EvaluationPoint> LearningCurve,
    FlopsMeter Flops,
    long ParameterCount);

/// <summary>
/// The offline phase: trains on a finite source, optionally under an AMGP schedule, evaluating on a held-out set
/// along the way. Before every step it sets the MLP learning rate's factor: <see cref="OfflineTrainingOptions.MlpRateBoost"/>'s
/// at that step times the structure schedule's (AMGP's, while pruned), so a resumed run steps as the uninterrupted one,
/// and back to 1 when the run ends. Samples/s counts training time only (evaluation pauses the clock).
/// </summary>
public sealed class OfflineTrainer
{
    private readonly DlrmTrainer _trainer;
    private readonly OfflineTrainingOptions _options;
    private readonly EvaluationSet _evaluation;
    private readonly IStructureSchedule? _growth;
    private readonly Stopwatch _clock = new();
    private readonly List<EvaluationPoint> _curve = [];
    private (long At, TimeSpan TrainingTime, long Samples) _lastReport;

    public OfflineTrainer(DlrmTrainer trainer, OfflineTrainingOptions options, EvaluationSet evaluation,
        IStructureSchedule? growth = null)
    {
        if (options.BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, not {options.BatchSize}.");
        if (options.EvaluateEverySteps < 1) throw new ArgumentException($"EvaluateEverySteps must be at least 1, not {options.EvaluateEverySteps}.");
        _trainer = trainer;
        _options = options;
        _evaluation = evaluation;
        _growth = growth;
    }

    public FlopsMeter Flops { get; } = new();

    /// <summary>Raised after each evaluation (every EvaluateEverySteps steps and at the end).</summary>
    public event Action<OfflineProgress>? Progress;

    /// <summary>Raised between steps, at most every <see cref="OfflineTrainingOptions.ReportEvery"/>: samples and current rate.</summary>
    public event Action<OfflineAdvance>? Advanced;

    /// <summary>Raised after each step with the time the step took on the host (on a GPU, until its work was queued).</summary>
    public event Action<TimeSpan>? StepTrained;

    /// <summary>The most recent evaluation, if any.</summary>
    public EvaluationPoint? LatestEvaluation => _curve.Count == 0 ? null : _curve[^1];

    /// <param name="afterStep">Runs between steps, when the source's position matches what was trained (checkpoints).</param>
    public async Task<OfflineResult> RunAsync(IClickEventSource source, Func<CancellationToken, ValueTask>? afterStep, CancellationToken cancellationToken)
    {
        var model = _trainer.Model;
        var batch = new FeatureBatch(model.Config.Features, _options.BatchSize);
        var e = new ClickEvent(model.Config.Features);
        long firstSample = _trainer.Samples;
        long trained = 0;
        double lastLoss = double.NaN;
        _trainer.ResetLossWindow();
        _clock.Restart();
        _lastReport = (Stopwatch.GetTimestamp(), TimeSpan.Zero, firstSample);

        long runSteps = _options.RunSteps > 0 ? _options.RunSteps : _options.PlannedSteps;
        bool observe = _growth is { ObservesSteps: true };
        if (observe) _trainer.GradientsComputed += _growth!.ObserveStep;
        try
        {
            while (trained < _options.MaxEvents && !cancellationToken.IsCancellationRequested)
            {
                if (batch.Refill(source, model.Encoder, e, limit: _options.MaxEvents - trained) == 0) break;

                long step = _trainer.Steps;
                _growth?.BeforeStep(step);
                _trainer.MlpOptimizer.LearningRateScale = _options.MlpRateBoost.FactorAt(step, runSteps) * (_growth?.LearningRateScale ?? 1);
                Flops.Add(_trainer.Model, batch.Count);
                long started = Stopwatch.GetTimestamp();
                _trainer.TrainStep(batch, _growth is null ? null : () => _growth.Regularizer(step));
                StepTrained?.Invoke(Stopwatch.GetElapsedTime(started));
                trained += batch.Count;
                ReportAdvance(firstSample);

                if (_trainer.Steps % _options.EvaluateEverySteps == 0)
                    lastLoss = Evaluate(firstSample, lastLoss);
                if (afterStep is not null)
                {
                    _clock.Stop();
                    await afterStep(cancellationToken);
                    _clock.Start();
                }
            }
        }
        finally
        {
            if (observe) _trainer.GradientsComputed -= _growth!.ObserveStep;
            // Whatever trains the model next (the recurring stage, in process) steps at the configured rate.
            _trainer.MlpOptimizer.LearningRateScale = 1;
            _growth?.EndRun();
        }

        if (_curve.Count == 0 || _curve[^1].Step != _trainer.Steps) lastLoss = Evaluate(firstSample, lastLoss);
        _clock.Stop();
        var totals = _trainer.ReadTotals();
        return new OfflineResult(_trainer.Steps, _trainer.Samples, totals.SkippedSteps, _clock.Elapsed, Rate(firstSample), lastLoss,
            _curve[^1].Result, _curve, Flops, _trainer.Model.ParameterCount);
    }

    private void ReportAdvance(long firstSample)
    {
        long now = Stopwatch.GetTimestamp();
        if (Advanced is null || Stopwatch.GetElapsedTime(_lastReport.At, now) < _options.ReportEvery) return;
        double seconds = (_clock.Elapsed - _lastReport.TrainingTime).TotalSeconds;
        long samples = _trainer.Samples;
        double rate = seconds > 0 ? (samples - _lastReport.Samples) / seconds : Rate(firstSample);
        _lastReport = (now, _clock.Elapsed, samples);
        Advanced(new OfflineAdvance(_trainer.Steps, samples, firstSample + _options.MaxEvents, rate));
    }

    private double Evaluate(long firstSample, double previousLoss)
    {
        var totals = _trainer.ReadTotals();
        double loss = totals.LossSamples > 0 ? totals.MeanLoss : previousLoss;
        _trainer.ResetLossWindow();
        _clock.Stop();
        var model = _trainer.Model;
        var point = new EvaluationPoint(_trainer.Steps, _trainer.Samples, _evaluation.Evaluate(_trainer),
            model.Bottom.HiddenWidths.Sum() + model.Top.HiddenWidths.Sum());
        _curve.Add(point);
        Progress?.Invoke(new OfflineProgress(_trainer.Steps, _trainer.Samples, firstSample + _options.MaxEvents, Rate(firstSample), loss, point));
        _clock.Start();
        return loss;
    }

    private double Rate(long firstSample) => (_trainer.Samples - firstSample) / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
}
