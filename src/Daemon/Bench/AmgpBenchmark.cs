using Recurring.Core.Growth;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using static TorchSharp.torch;

namespace Recurring.Daemon.Bench;

/// <summary>One offline run of the AMGP benchmark.</summary>
public sealed record AmgpRun(
    AmgpMode Mode,
    long Seed,
    EvaluationResult Final,
    double TotalFlops,
    double MlpFlops,
    double TrainingSeconds,
    long FinalParameters,
    IReadOnlyList<EvaluationPoint> Curve,
    IReadOnlyList<(long Step, int HiddenNeurons)> Widths);

/// <summary>
/// Dense, AMGP and prune-only trained on the same synthetic events, evaluated on the same held-out set, with the
/// same model seed and sample count, one after another in one process so their times compare.
/// </summary>
public sealed class AmgpBenchmark(Func<IEnumerable<string>, RecurringSettings> settingsFor, Device device)
{
    public static readonly AmgpMode[] Modes = [AmgpMode.Dense, AmgpMode.Amgp, AmgpMode.PruneOnly];

    public async Task<IReadOnlyList<AmgpRun>> RunAsync(IReadOnlyList<long> seeds, long events, Action<string> log, CancellationToken cancellationToken)
    {
        var runs = new List<AmgpRun>();
        foreach (long seed in seeds)
        {
            foreach (var mode in Modes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var settings = settingsFor([
                    $"--Offline:Amgp:Mode={mode}", $"--Offline:SyntheticEvents={events}",
                    $"--Training:Seed={seed}", $"--Synthetic:Seed={seed}",
                ]);
                runs.Add(await RunOneAsync(settings, mode, seed, cancellationToken));
                var last = runs[^1];
                log($"seed {seed} {mode,-9}: eval AUC {last.Final.Model.Auc:F4}, {last.TrainingSeconds:F1} s, MLP FLOPs {last.MlpFlops:E3}");
            }
        }
        return runs;
    }

    private async Task<AmgpRun> RunOneAsync(RecurringSettings settings, AmgpMode mode, long seed, CancellationToken cancellationToken)
    {
        using var setup = OfflineSetup.Create(settings, device);
        var result = await setup.CreateTrainer().RunAsync(setup.Source, afterStep: null, cancellationToken);
        return new AmgpRun(mode, seed, result.FinalEvaluation, result.Flops.TotalFlops, result.Flops.MlpFlops,
            result.TrainingTime.TotalSeconds, result.ParameterCount, result.LearningCurve, WidthSteps(setup));
    }

    /// <summary>Total hidden neurons at the start and end of every phase, for the width chart.</summary>
    private static List<(long, int)> WidthSteps(OfflineSetup setup)
    {
        var full = setup.Model.Mlps.Sum(m => m.FullWidths.Skip(1).SkipLast(1).Sum());
        var pruned = setup.Model.Mlps.Sum(m => m.FullWidths.Skip(1).SkipLast(1).Sum(setup.Schedule.PrunedWidth));
        return setup.Schedule.Phases
            .SelectMany(p => new[] { (p.StartStep, p.Pruned ? pruned : full), (p.EndStep, p.Pruned ? pruned : full) })
            .ToList();
    }
}
