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
    private GrowthPruningSchedule(AmgpOptions options, long totalSteps, IReadOnlyList<TrainingPhase> phases, string? notice)
    {
        Options = options;
        TotalSteps = totalSteps;
        Phases = phases;
        Notice = notice;
    }

    /// <summary>The options the plan follows; Mode is dense when the run was too short for the mode asked for.</summary>
    public AmgpOptions Options { get; }

    public long TotalSteps { get; }
    public IReadOnlyList<TrainingPhase> Phases { get; }

    /// <summary>One line saying why the run trains dense although another mode was asked for; null otherwise.</summary>
    public string? Notice { get; }

    /// <summary>Steps spent pruned, over all phases.</summary>
    public long PrunedSteps => Phases.Where(p => p.Pruned).Sum(p => p.Steps);

    /// <summary>
    /// Lays out the plan, or explains in one line per problem why the options are unusable. A run too short for the
    /// mode asked for trains dense, and <see cref="Notice"/> says so.
    /// </summary>
    public static GrowthPruningSchedule Create(AmgpOptions options, long totalSteps)
    {
        var errors = options.Validate().ToList();
        if (totalSteps < 1) errors.Add($"Offline training needs at least one step, not {totalSteps}.");
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));

        var phases = new List<TrainingPhase>();
        void Add(long steps, bool pruned) =>
            phases.Add(new TrainingPhase(phases.Count, phases.Count == 0 ? 0 : phases[^1].EndStep, steps, pruned));

        long warmup = options.WarmupSteps ?? (long)Math.Round(options.WarmupFraction * totalSteps);
        switch (options.Mode)
        {
            case AmgpMode.Dense:
                break;
            case AmgpMode.PruneOnly:
                if (totalSteps <= warmup)
                    return Dense(options, totalSteps, $"prune-only needs more than the {warmup} warm-up steps");
                if (warmup > 0) Add(warmup, pruned: false);
                Add(totalSteps - warmup, pruned: true);
                return new GrowthPruningSchedule(options, totalSteps, phases, notice: null);
            case AmgpMode.Amgp:
                // A phase given as a fraction lasts at least one step, so short runs still alternate.
                long pruned = options.PrunedSteps ?? Math.Max(1, (long)Math.Round(options.PrunedFraction * totalSteps));
                long dense = options.DenseSteps ?? Math.Max(1, (long)Math.Round(options.DenseFraction * totalSteps));
                long finalDense = options.FinalDenseSteps ?? Math.Max(1, (long)Math.Round(options.FinalDenseFraction * totalSteps));
                long cycles = (totalSteps - warmup - finalDense + dense) / (pruned + dense);
                // Fractions that fit one cycle (Validate checks their sum) can overshoot the run by a step or two once each
                // is rounded to whole steps; the final dense phase, which takes whatever remains, gives those steps up.
                bool fractionsOnly = options.WarmupSteps is null && options.PrunedSteps is null && options.FinalDenseSteps is null;
                if (cycles < 1 && fractionsOnly && totalSteps - warmup - pruned >= 1)
                    cycles = 1;
                if (cycles < 1)
                    return Dense(options, totalSteps,
                        $"one prune/grow cycle needs warm-up + pruned + final dense = {warmup} + {pruned} + {finalDense} = {warmup + pruned + finalDense} steps");
                if (warmup > 0) Add(warmup, pruned: false);
                for (long c = 0; c < cycles; c++)
                {
                    Add(pruned, pruned: true);
                    if (c < cycles - 1) Add(dense, pruned: false);
                }
                Add(totalSteps - phases[^1].EndStep, pruned: false);
                return new GrowthPruningSchedule(options, totalSteps, phases, notice: null);
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "Unknown AMGP mode.");
        }
        Add(totalSteps, pruned: false);
        return new GrowthPruningSchedule(options, totalSteps, phases, notice: null);
    }

    private static GrowthPruningSchedule Dense(AmgpOptions asked, long totalSteps, string reason) =>
        new(asked with { Mode = AmgpMode.Dense }, totalSteps, [new TrainingPhase(0, 0, totalSteps, Pruned: false)],
            $"Training dense: {reason}, and this run has {totalSteps} (mode {asked.Mode.Name()}).");

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

    /// <summary>Whether the next phase prunes and begins within <paramref name="steps"/> steps after <paramref name="step"/>.</summary>
    public bool PruneWithin(long step, int steps) =>
        PruneFollows(step) && Phases[PhaseAt(step).Index + 1].StartStep - step <= steps;

    /// <summary>
    /// Neurons of a pruned hidden layer that keep their trained weights through a growth: the pruned width less those
    /// <see cref="AmgpOptions.RegenerateFraction"/> renews. Growth appends the fresh ones after them, in index order.
    /// </summary>
    public int KeptThroughGrowth(bool bottom, int fullWidth)
    {
        int pruned = PrunedWidth(bottom, fullWidth);
        return pruned - (int)(Options.RegenerateFraction * pruned);
    }

    /// <summary>Steps over which fresh regrown neurons warm up (<see cref="AmgpOptions.RegrownWarmupFraction"/> of the run).</summary>
    public long RegrownWarmupSteps => (long)Math.Round(Options.RegrownWarmupFraction * TotalSteps);

    /// <summary>
    /// How far into the warm-up of fresh regrown neurons a step is: n/<see cref="RegrownWarmupSteps"/> at the n-th step
    /// of a dense phase that follows a pruned one, while n is below it; null at every other step, past the plan's last
    /// step and with restore.
    /// </summary>
    public double? RegrownWarmup(long step)
    {
        var phase = PhaseAt(step);
        long into = step - phase.StartStep + 1;
        bool afterGrowth = step < phase.EndStep && !phase.Pruned && phase.Index > 0 && Phases[phase.Index - 1].Pruned;
        return afterGrowth && Options.Regrowth == Regrowth.Fresh && into < RegrownWarmupSteps ? into / (double)RegrownWarmupSteps : null;
    }

    /// <summary>Hidden width of a layer of the bottom (or top) MLP while pruned: at least one neuron.</summary>
    public int PrunedWidth(bool bottom, int fullWidth) => Math.Max(1, (int)Math.Round(fullWidth * Options.KeepFractionOf(bottom)));
}
