using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;
using Recurring.Core.Training;

namespace Recurring.Daemon.Bench;

/// <summary>
/// How the teacher drifts in the later events: its categorical effects rotate with event time, new IDs take the top
/// ranks of the large vocabularies, and a new nonlinear dense effect appears at the first stream event
/// (<see cref="SyntheticDataOptions"/>). The offline history is drawn without drift, so the stream starts with the
/// effects already turned by <c>rotation x first stream event</c> and keeps turning.
/// </summary>
public sealed record StreamDrift(double RotationPerMillionEvents, double NewIdsPerMillionEvents, double NewEffectStrength);

/// <summary>Progressive (scored before learning) quality of one start model over the stream.</summary>
/// <param name="Curve">Windowed progressive AUC after each batch: (stream events so far, AUC of the last window).</param>
public sealed record RecurringRun(string Start, long Seed, double OfflineEvalAuc, ClickMetrics Whole, ClickMetrics Tail,
    IReadOnlyList<(long Events, double Auc)> Curve);

/// <summary>
/// The recurring stage after the offline phase: dense, AMGP and prune-only final models (each <see cref="AmgpBenchmark"/>'s
/// offline run) go on learning from the same later events of a drifting teacher, every batch scored before the model
/// learns from it; the dense model's frozen copy only scores. Same seed, events and stream for every start model.
/// </summary>
public sealed class RecurringBenchmark(AmgpBenchmark offline, StreamDrift drift)
{
    public const string Frozen = "frozen dense";

    /// <summary>The last part of the stream reported separately: where the models have had time to adapt.</summary>
    public const double TailFraction = 0.25;

    /// <summary>The chart's progressive AUC is over the last 1 / CurveWindows of the stream.</summary>
    public const int CurveWindows = 10;

    public static readonly AmgpVariant[] Learners = [AmgpVariant.Dense, AmgpVariant.Amgp, AmgpVariant.PruneOnly];

    /// <summary>Start models in table order: the learners, then the frozen dense model.</summary>
    public static IReadOnlyList<string> Starts { get; } = [.. Learners.Select(v => v.Name), Frozen];

    public async Task<IReadOnlyList<RecurringRun>> RunAsync(IReadOnlyList<long> seeds, long events, int streamEvents, Action<string> log,
        CancellationToken cancellationToken)
    {
        var runs = new List<RecurringRun>();
        foreach (long seed in seeds)
        {
            EvaluationSet? stream = null;
            foreach (var variant in Learners)
            {
                using var trained = await offline.TrainAsync(variant, seed, events, cancellationToken);
                stream ??= CollectStream(trained, events, streamEvents);
                double offlineAuc = trained.Run.Final.Model.Auc;
                // As in the daemon's recurring stage, the stream trains at the configured learning rate (the offline run
                // leaves its schedule's factors behind), and prune-only's model stays pruned.
                if (variant == AmgpVariant.Dense)
                    runs.Add(Replay(Frozen, seed, offlineAuc, stream, batch => trained.Setup.Trainer.Predict(batch), cancellationToken));
                runs.Add(Replay(variant.Name, seed, offlineAuc, stream, batch =>
                {
                    var scores = new float[batch.Count];
                    trained.Setup.Trainer.TrainAndScore(batch, scores);
                    return scores;
                }, cancellationToken));
                foreach (var run in runs.Where(r => r.Seed == seed).TakeLast(variant == AmgpVariant.Dense ? 2 : 1))
                    log($"seed {seed} {run.Start,-12}: offline eval AUC {run.OfflineEvalAuc:F4}, progressive AUC {run.Whole.Auc:F4} (last {TailFraction:P0} {run.Tail.Auc:F4})");
            }
        }
        return runs;
    }

    /// <summary>The events after the offline run's training and held-out events, from the same teacher with drift turned on.</summary>
    private EvaluationSet CollectStream(TrainedVariant trained, long events, int streamEvents)
    {
        var settings = trained.Settings;
        long firstStreamEvent = events + settings.Offline.EvalEvents;
        var drifting = new SyntheticClickGenerator(settings.Synthetic with
        {
            RotationPerMillionEvents = drift.RotationPerMillionEvents,
            NewIdsPerMillionEvents = drift.NewIdsPerMillionEvents,
            NewEffectStrength = drift.NewEffectStrength,
            NewEffectFromEvent = firstStreamEvent,
        }, settings.Schema);
        var source = new SyntheticEventSource(drifting, firstStreamEvent, streamEvents);
        return EvaluationSet.Collect(source, streamEvents, trained.Setup.Model.Encoder, settings.Training.BatchSize);
    }

    /// <summary>Scores the stream batch by batch with <paramref name="scoreThenLearn"/>, which must score each batch before any learning from it.</summary>
    private static RecurringRun Replay(string start, long seed, double offlineAuc, EvaluationSet stream, Func<Core.Data.FeatureBatch, float[]> scoreThenLearn,
        CancellationToken cancellationToken)
    {
        var scores = new float[stream.Count];
        var labels = new float[stream.Count];
        var window = new SlidingWindowMetrics(Math.Max(1, stream.Count / CurveWindows));
        var curve = new List<(long, double)>();
        int offset = 0;
        foreach (var batch in stream.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batchScores = scoreThenLearn(batch);
            for (int i = 0; i < batch.Count; i++)
            {
                scores[offset + i] = batchScores[i];
                labels[offset + i] = batch.Labels[i];
                window.Add(batchScores[i], batch.Labels[i] > 0.5f);
            }
            offset += batch.Count;
            curve.Add((offset, window.Window().Auc));
        }
        int tailStart = (int)(stream.Count * (1 - TailFraction));
        return new RecurringRun(start, seed, offlineAuc, ClickMetrics.Compute(scores, labels),
            ClickMetrics.Compute(scores.AsSpan(tailStart), labels.AsSpan(tailStart)), curve);
    }
}
