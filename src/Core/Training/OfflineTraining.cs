using System.Diagnostics;
using Recurring.Core.Data;
using Recurring.Core.Growth;

namespace Recurring.Core.Training;

public sealed record OfflineTrainingOptions
{
    public int BatchSize { get; init; } = 2048;

    /// <summary>Stop after this many training events (the source may end sooner).</summary>
    public long MaxEvents { get; init; } = 3_000_000;

    /// <summary>Evaluate on the held-out set every this many steps (and always at the end).</summary>
    public int EvaluateEverySteps { get; init; } = 250;

    /// <summary>Steps the run will take if the source does not end early: what an AMGP schedule is laid out over.</summary>
    public long PlannedSteps => (MaxEvents + BatchSize - 1) / BatchSize;
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
/// along the way. Samples/s counts training time only (evaluation pauses the clock).
/// </summary>
public sealed class OfflineTrainer
{
    private readonly DlrmTrainer _trainer;
    private readonly FeatureHashing _hashing;
    private readonly OfflineTrainingOptions _options;
    private readonly EvaluationSet _evaluation;
    private readonly GrowthPruningController? _growth;
    private readonly Stopwatch _clock = new();
    private readonly List<EvaluationPoint> _curve = [];

    public OfflineTrainer(DlrmTrainer trainer, FeatureHashing hashing, OfflineTrainingOptions options, EvaluationSet evaluation,
        GrowthPruningController? growth = null)
    {
        if (options.BatchSize < 1) throw new ArgumentException($"Training:BatchSize must be at least 1, not {options.BatchSize}.");
        if (options.EvaluateEverySteps < 1) throw new ArgumentException($"Offline:EvaluateEverySteps must be at least 1, not {options.EvaluateEverySteps}.");
        _trainer = trainer;
        _hashing = hashing;
        _options = options;
        _evaluation = evaluation;
        _growth = growth;
    }

    public FlopsMeter Flops { get; } = new();

    /// <summary>Raised after each evaluation (every EvaluateEverySteps steps and at the end).</summary>
    public event Action<OfflineProgress>? Progress;

    /// <summary>The most recent evaluation, if any.</summary>
    public EvaluationPoint? LatestEvaluation => _curve.Count == 0 ? null : _curve[^1];

    /// <param name="afterStep">Runs between steps, when the source's position matches what was trained (checkpoints).</param>
    public async Task<OfflineResult> RunAsync(IClickEventSource source, Func<CancellationToken, ValueTask>? afterStep, CancellationToken cancellationToken)
    {
        var batch = new FeatureBatch(_options.BatchSize);
        var record = new CriteoRecord();
        long firstSample = _trainer.Samples;
        long trained = 0;
        double lastLoss = double.NaN;
        _trainer.ResetLossWindow();
        _clock.Restart();

        while (trained < _options.MaxEvents && !cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            while (!batch.IsFull && trained + batch.Count < _options.MaxEvents && source.TryRead(record, out _))
                batch.Add(record, _hashing);
            if (batch.Count == 0) break;

            long step = _trainer.Steps;
            _growth?.BeforeStep(step);
            Flops.Add(_trainer.Model, batch.Count);
            _trainer.TrainStep(batch, _growth is null ? null : () => _growth.Regularizer(step));
            trained += batch.Count;

            if (_trainer.Steps % _options.EvaluateEverySteps == 0)
                lastLoss = Evaluate(firstSample, lastLoss);
            if (afterStep is not null)
            {
                _clock.Stop();
                await afterStep(cancellationToken);
                _clock.Start();
            }
        }

        if (_curve.Count == 0 || _curve[^1].Step != _trainer.Steps) lastLoss = Evaluate(firstSample, lastLoss);
        _clock.Stop();
        var totals = _trainer.ReadTotals();
        return new OfflineResult(_trainer.Steps, _trainer.Samples, totals.SkippedSteps, _clock.Elapsed, Rate(firstSample), lastLoss,
            _curve[^1].Result, _curve, Flops, _trainer.Model.ParameterCount);
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
