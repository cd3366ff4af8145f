namespace Recurring.Core.Growth;

/// <summary>One stretch of training at one width.</summary>
/// <param name="Index">Position in the plan, 0 = warm-up.</param>
/// <param name="StartStep">First optimizer step of the phase.</param>
/// <param name="Steps">Length; the phase ends before step StartStep + Steps.</param>
/// <param name="Pruned">True while hidden layers are at the keep fraction.</param>
public sealed record TrainingPhase(int Index, long StartStep, long Steps, bool Pruned)
{
    public long EndStep => StartStep + Steps;
}

/// <summary>The phases of an offline run of a known number of steps, laid out from <see cref="AmgpOptions"/>.</summary>
public sealed class GrowthPruningSchedule
{
    private GrowthPruningSchedule(AmgpOptions options, long totalSteps, IReadOnlyList<TrainingPhase> phases)
    {
        Options = options;
        TotalSteps = totalSteps;
        Phases = phases;
    }

    public AmgpOptions Options { get; }
    public long TotalSteps { get; }
    public IReadOnlyList<TrainingPhase> Phases { get; }

    /// <summary>Steps spent pruned, over all phases.</summary>
    public long PrunedSteps => Phases.Where(p => p.Pruned).Sum(p => p.Steps);

    /// <summary>Lays out the plan, or explains in one line per problem why it cannot be laid out.</summary>
    public static GrowthPruningSchedule Create(AmgpOptions options, long totalSteps)
    {
        var errors = options.Validate().ToList();
        if (totalSteps < 1) errors.Add($"Offline training needs at least one step, not {totalSteps}.");
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));

        var phases = new List<TrainingPhase>();
        void Add(long steps, bool pruned) =>
            phases.Add(new TrainingPhase(phases.Count, phases.Count == 0 ? 0 : phases[^1].EndStep, steps, pruned));

        switch (options.Mode)
        {
            case AmgpMode.Dense:
                Add(totalSteps, pruned: false);
                break;
            case AmgpMode.PruneOnly:
                if (totalSteps <= options.WarmupSteps)
                    throw new ArgumentException($"Offline:Amgp: prune-only needs more than WarmupSteps ({options.WarmupSteps}) steps; training has {totalSteps}.");
                if (options.WarmupSteps > 0) Add(options.WarmupSteps, pruned: false);
                Add(totalSteps - options.WarmupSteps, pruned: true);
                break;
            case AmgpMode.Amgp:
                long cycles = (totalSteps - options.WarmupSteps - options.FinalDenseSteps + options.DenseSteps)
                              / (options.PrunedSteps + options.DenseSteps);
                if (cycles < 1)
                    throw new ArgumentException(
                        $"Offline:Amgp: one cycle needs WarmupSteps + PrunedSteps + FinalDenseSteps = " +
                        $"{options.WarmupSteps + options.PrunedSteps + options.FinalDenseSteps} steps; training has {totalSteps}. " +
                        "Shorten the phases, train on more events, or use Mode=dense.");
                if (options.WarmupSteps > 0) Add(options.WarmupSteps, pruned: false);
                for (long c = 0; c < cycles; c++)
                {
                    Add(options.PrunedSteps, pruned: true);
                    if (c < cycles - 1) Add(options.DenseSteps, pruned: false);
                }
                Add(totalSteps - phases[^1].EndStep, pruned: false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "Unknown AMGP mode.");
        }
        return new GrowthPruningSchedule(options, totalSteps, phases);
    }

    /// <summary>The phase a step belongs to; steps past the plan belong to the last phase.</summary>
    public TrainingPhase PhaseAt(long step)
    {
        foreach (var phase in Phases)
            if (step < phase.EndStep) return phase;
        return Phases[^1];
    }

    /// <summary>Whether the phase after the one holding <paramref name="step"/> prunes (group lasso runs then).</summary>
    public bool PruneFollows(long step)
    {
        var phase = PhaseAt(step);
        return !phase.Pruned && phase.Index + 1 < Phases.Count && Phases[phase.Index + 1].Pruned;
    }

    /// <summary>Hidden width while pruned: at least one neuron.</summary>
    public int PrunedWidth(int fullWidth) => Math.Max(1, (int)Math.Round(fullWidth * Options.KeepFraction));
}
