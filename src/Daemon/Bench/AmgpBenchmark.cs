using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using static TorchSharp.torch;

namespace Recurring.Daemon.Bench;

/// <summary>
/// One way of training in the benchmark: an AMGP mode, optionally on a model built at the pruned widths from the
/// start ("small dense": what pruning would keep, trained dense all along at the pruned phases' learning rate).
/// </summary>
public sealed record AmgpVariant(string Name, AmgpMode Mode, bool SmallFromStart)
{
    public static readonly AmgpVariant Dense = new("dense", AmgpMode.Dense, SmallFromStart: false);
    public static readonly AmgpVariant Amgp = new("amgp", AmgpMode.Amgp, SmallFromStart: false);
    public static readonly AmgpVariant PruneOnly = new("prune-only", AmgpMode.PruneOnly, SmallFromStart: false);
    public static readonly AmgpVariant SmallDense = new("small dense", AmgpMode.Dense, SmallFromStart: true);

    public static readonly AmgpVariant[] All = [Dense, Amgp, PruneOnly, SmallDense];
}

/// <summary>One offline run of the AMGP benchmark.</summary>
public sealed record AmgpRun(
    AmgpVariant Variant,
    long Seed,
    EvaluationResult Final,
    double TotalFlops,
    double MlpFlops,
    double TrainingSeconds,
    long FinalParameters,
    IReadOnlyList<EvaluationPoint> Curve,
    IReadOnlyList<(long Step, int HiddenNeurons)> Widths);

/// <summary>
/// Dense, AMGP, prune-only and small dense trained on the same synthetic events, evaluated on the same held-out
/// set, with the same model seed and sample count, one after another in one process so their times compare.
/// </summary>
public sealed class AmgpBenchmark(Func<IEnumerable<string>, RecurringSettings> settingsFor, Device device)
{
    /// <summary>Events of the untimed run before the timed ones.</summary>
    public const long WarmUpEvents = 50_000;

    public async Task<IReadOnlyList<AmgpRun>> RunAsync(IReadOnlyList<long> seeds, long events, Action<string> log, CancellationToken cancellationToken)
    {
        // The process's first training run pays one-time costs (JIT, libtorch's thread pool and allocator) that would
        // count against whichever variant came first: a short dense run, not timed, pays them first.
        using (var warmUp = await TrainAsync(AmgpVariant.Dense, seeds[0], Math.Min(events, WarmUpEvents), cancellationToken))
            log($"warm-up (not counted): {warmUp.Run.TrainingSeconds:F1} s");
        var runs = new List<AmgpRun>();
        foreach (long seed in seeds)
        {
            foreach (var variant in AmgpVariant.All)
            {
                using var trained = await TrainAsync(variant, seed, events, cancellationToken);
                runs.Add(trained.Run);
                log($"seed {seed} {variant.Name,-11}: eval AUC {trained.Run.Final.Model.Auc:F4}, {trained.Run.TrainingSeconds:F1} s, MLP FLOPs {trained.Run.MlpFlops:E3}");
            }
        }
        return runs;
    }

    /// <summary>
    /// One variant's offline run on events <c>0 .. events - 1</c> of the seed's teacher. The caller owns the returned
    /// setup: its model and trainer are the final ones, for whatever comes after the offline phase.
    /// </summary>
    public async Task<TrainedVariant> TrainAsync(AmgpVariant variant, long seed, long events, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string[] common = [$"--Offline:SyntheticEvents={events}", $"--Training:Seed={seed}", $"--Synthetic:Seed={seed}"];
        var settings = settingsFor([.. common, $"--Offline:Amgp:Mode={variant.Mode}"]);
        if (variant.SmallFromStart) settings = settingsFor([.. common, $"--Offline:Amgp:Mode={variant.Mode}", .. PrunedModel(settings), PrunedLearningRate(settings)]);
        var setup = OfflineSetup.Create(settings, device);
        try
        {
            var result = await setup.CreateTrainer().RunAsync(setup.Source, afterStep: null, cancellationToken);
            var run = new AmgpRun(variant, seed, result.FinalEvaluation, result.Flops.TotalFlops, result.Flops.MlpFlops,
                result.TrainingTime.TotalSeconds, result.ParameterCount, result.LearningCurve, WidthSteps(setup));
            return new TrainedVariant(settings, setup, run);
        }
        catch
        {
            setup.Dispose();
            throw;
        }
    }

    /// <summary>Model overrides that build every hidden layer at the width AMGP's pruned phases use.</summary>
    private static IEnumerable<string> PrunedModel(RecurringSettings settings)
    {
        var config = settings.ToDlrmConfig();
        var pruning = GrowthPruningSchedule.Create(settings.Offline.Amgp with { Mode = AmgpMode.Amgp }, totalSteps: 1_000_000);
        var bottom = config.BottomLayers;
        for (int layer = 0; layer < bottom.Count; layer++)
        {
            bool hidden = layer > 0 && layer < bottom.Count - 1;
            yield return $"--Model:BottomLayers:{layer}={(hidden ? pruning.PrunedWidth(bottom: true, bottom[layer]) : bottom[layer])}";
        }
        for (int layer = 0; layer < config.TopHidden.Count; layer++)
            yield return $"--Model:TopHidden:{layer}={pruning.PrunedWidth(bottom: false, config.TopHidden[layer])}";
    }

    /// <summary>The MLP learning rate of AMGP's pruned phases, so the small model steps as the pruned one does.</summary>
    private static string PrunedLearningRate(RecurringSettings settings) => FormattableString.Invariant(
        $"--Training:Optimizer:MlpLearningRate={settings.Training.Optimizer.MlpLearningRate * settings.Offline.Amgp.PrunedLearningRateScale:R}");

    /// <summary>Total hidden neurons at the start and end of every phase, for the width chart.</summary>
    private static List<(long, int)> WidthSteps(OfflineSetup setup)
    {
        int Hidden(Func<Mlp, int, int> width) => setup.Model.Mlps.Sum(m => m.FullWidths.Skip(1).SkipLast(1).Sum(w => width(m, w)));
        var full = Hidden((_, w) => w);
        var pruned = Hidden((m, w) => setup.Schedule.PrunedWidth(m.Name == DlrmModel.BottomName, w));
        return setup.Schedule.Phases
            .SelectMany(p => new[] { (p.StartStep, p.Pruned ? pruned : full), (p.EndStep, p.Pruned ? pruned : full) })
            .ToList();
    }
}

/// <summary>A variant's offline run and what it ended with: the settings it ran under and its final model and trainer.</summary>
public sealed record TrainedVariant(RecurringSettings Settings, OfflineSetup Setup, AmgpRun Run) : IDisposable
{
    public void Dispose() => Setup.Dispose();
}
