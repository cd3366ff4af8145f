using System.ComponentModel;

namespace Recurring.Core.Growth;

[TypeConverter(typeof(KebabCaseEnumConverter<AmgpMode>))]
public enum AmgpMode
{
    /// <summary>Alternate pruned and full-width phases, ending full width.</summary>
    Amgp,

    /// <summary>No structural change: the baseline.</summary>
    Dense,

    /// <summary>Prune once after the warm-up and never regrow: the classic compression baseline.</summary>
    PruneOnly,
}

public static class AmgpModeNames
{
    /// <summary>The mode as configuration and output spell it: amgp, dense, prune-only.</summary>
    public static string Name(this AmgpMode mode) => KebabCaseEnumConverter<AmgpMode>.ToKebabCase(mode.ToString());
}

/// <summary>
/// Section "Offline:Amgp". The plan is: a dense warm-up, then cycles of a pruned phase at the keep fraction of every
/// hidden layer followed by a dense phase at full width, as many as fit before a final full-width phase. Each phase
/// length is a fraction of the run (<see cref="WarmupFraction"/> ...), so one schedule fits any input, or, where
/// set, an absolute number of optimizer steps (<see cref="WarmupSteps"/> ...), which then wins. The defaults come
/// from `recurring bench amgp` (docs/amgp.md).
/// </summary>
public sealed record AmgpOptions
{
    public AmgpMode Mode { get; init; } = AmgpMode.Amgp;

    // One cycle by default: 7 % warm-up, 70 % pruned, 23 % final dense. DenseFraction matters when shorter pruned
    // phases leave room for more cycles.
    public double WarmupFraction { get; init; } = 0.07;
    public double PrunedFraction { get; init; } = 0.70;
    public double DenseFraction { get; init; } = 0.035;
    public double FinalDenseFraction { get; init; } = 0.23;

    /// <summary>Absolute lengths in optimizer steps; each one set replaces its fraction.</summary>
    public int? WarmupSteps { get; init; }
    public int? PrunedSteps { get; init; }
    public int? DenseSteps { get; init; }
    public int? FinalDenseSteps { get; init; }

    /// <summary>
    /// The bottom and top MLPs' keep fractions when neither <see cref="KeepFraction"/> nor a per-MLP setting is given:
    /// the top MLP, two thirds of the MLP FLOPs here, shrinks more (docs/amgp.md: measured against 0.5 for both).
    /// </summary>
    public const double DefaultBottomKeepFraction = 0.75, DefaultTopKeepFraction = 0.35;

    /// <summary>
    /// Share of every hidden layer's neurons kept while pruned; the per-MLP settings below override it. Unset means
    /// <see cref="DefaultBottomKeepFraction"/> and <see cref="DefaultTopKeepFraction"/>.
    /// </summary>
    public double? KeepFraction { get; init; }

    /// <summary>Keep fraction of the bottom MLP's hidden layers; unset means <see cref="KeepFraction"/>.</summary>
    public double? BottomKeepFraction { get; init; }

    /// <summary>Keep fraction of the top MLP's hidden layers; unset means <see cref="KeepFraction"/>.</summary>
    public double? TopKeepFraction { get; init; }

    /// <summary>
    /// Factor on the MLP learning rate while the MLPs are pruned (amgp and prune-only), on top of the offline run's
    /// <see cref="Training.MlpRateBoost"/>. 1 (the default) steps the pruned phases as dense steps over the same steps;
    /// 4 without the boost was the default before it (docs/amgp.md).
    /// </summary>
    public double PrunedLearningRateScale { get; init; } = 1;

    /// <summary>How neurons are ranked before a prune.</summary>
    public ImportanceCriterion Importance { get; init; } = ImportanceCriterion.WeightNorm;

    /// <summary>
    /// Optimizer steps before each prune over which <see cref="ImportanceCriterion.Taylor"/> and
    /// <see cref="ImportanceCriterion.ActivationVariance"/> accumulate their statistics.
    /// </summary>
    public int ImportanceSteps { get; init; } = 20;

    /// <summary>
    /// Strength of a group-lasso penalty on whole neurons during each dense phase that precedes a prune, pushing
    /// the neurons about to be removed towards zero first. 0 turns it off.
    /// </summary>
    public double GroupLassoStrength { get; init; }

    /// <summary>What a growth puts back: fresh neurons or the removed ones as they were.</summary>
    public Regrowth Regrowth { get; init; } = Regrowth.Fresh;

    /// <summary>Scale of the random incoming weights of regrown neurons, relative to the layer's initial spread.</summary>
    public double GrowthInitScale { get; init; } = 0.1;

    /// <summary>
    /// Scale of the random outgoing weights of fresh regrown neurons, relative to the next layer's initial spread. 0
    /// makes growth function-preserving (zero outgoing weights); above 0 the new neurons feed the next layer from
    /// their first step, and <see cref="RegrownWarmupFraction"/> keeps their first steps short.
    /// </summary>
    public double RegrownOutgoingScale { get; init; } = 1;

    /// <summary>
    /// Share of the run over which fresh regrown neurons' steps ramp up linearly, from 1/n of a full step in the first
    /// step after growth to a full step after n steps (Adagrad's first steps on a fresh accumulator are its largest).
    /// Ends early at a prune. 0 turns it off. Fresh regrowth only: <see cref="Regrowth.Restore"/> brings neurons back trained.
    /// </summary>
    public double RegrownWarmupFraction { get; init; } = 0.04;

    /// <summary>Where the optimizer state of regrown neurons starts.</summary>
    public RegrownOptimizerState RegrownOptimizerState { get; init; } = RegrownOptimizerState.Zero;

    /// <summary>
    /// GraNet-style neuroregeneration: at each growth, this share of every pruned layer's kept neurons, the least
    /// important by weight norm, is removed too and comes back fresh with the regrown ones. 0 turns it off.
    /// </summary>
    public double RegenerateFraction { get; init; }

    /// <summary>The keep fraction of one MLP (per-MLP setting, else <see cref="KeepFraction"/>).</summary>
    public double KeepFractionOf(bool bottom) =>
        (bottom ? BottomKeepFraction : TopKeepFraction) ?? KeepFraction ?? (bottom ? DefaultBottomKeepFraction : DefaultTopKeepFraction);

    /// <summary>One line per problem, each starting with the property at fault; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (WarmupSteps < 0) errors.Add($"WarmupSteps must be 0 or more, not {WarmupSteps}.");
        if (!(WarmupFraction >= 0 && WarmupFraction < 1))
            errors.Add($"{nameof(WarmupFraction)} must lie in [0, 1), not {WarmupFraction}.");
        if (Mode == AmgpMode.Dense) return errors;
        if (KeepFraction is { } keep && !(keep > 0 && keep < 1))
            errors.Add($"KeepFraction must lie strictly between 0 and 1, not {keep}.");
        foreach (var (name, value) in new[] { (nameof(BottomKeepFraction), BottomKeepFraction), (nameof(TopKeepFraction), TopKeepFraction) })
            if (value is { } fraction && !(fraction > 0 && fraction <= 1))
                errors.Add($"{name} must lie in (0, 1] (1 leaves that MLP unpruned), not {fraction}.");
        if (Mode == AmgpMode.Amgp)
        {
            if (PrunedSteps < 1) errors.Add($"PrunedSteps must be at least 1, not {PrunedSteps}.");
            if (DenseSteps < 1) errors.Add($"DenseSteps must be at least 1, not {DenseSteps}.");
            if (FinalDenseSteps < 1)
                errors.Add($"FinalDenseSteps must be at least 1: AMGP always ends with a full-size dense phase, not {FinalDenseSteps}.");
            foreach (var (name, value) in new[] { (nameof(PrunedFraction), PrunedFraction), (nameof(DenseFraction), DenseFraction), (nameof(FinalDenseFraction), FinalDenseFraction) })
                if (!(value > 0 && value < 1))
                    errors.Add($"{name} must lie strictly between 0 and 1, not {value}.");
            if (WarmupSteps is null && PrunedSteps is null && FinalDenseSteps is null && WarmupFraction + PrunedFraction + FinalDenseFraction > 1)
                errors.Add($"{nameof(WarmupFraction)} + {nameof(PrunedFraction)} + {nameof(FinalDenseFraction)} must be at most 1 for one cycle to fit, " +
                           $"not {WarmupFraction + PrunedFraction + FinalDenseFraction:0.###}.");
        }
        if (Mode != AmgpMode.Dense && Importance != ImportanceCriterion.WeightNorm && ImportanceSteps < 1)
            errors.Add($"{nameof(ImportanceSteps)} must be at least 1 for importance {Importance}, not {ImportanceSteps}.");
        if (!(PrunedLearningRateScale > 0) || double.IsInfinity(PrunedLearningRateScale))
            errors.Add($"{nameof(PrunedLearningRateScale)} must be positive, not {PrunedLearningRateScale}.");
        if (GroupLassoStrength < 0 || double.IsNaN(GroupLassoStrength) || double.IsInfinity(GroupLassoStrength))
            errors.Add($"GroupLassoStrength must be 0 (off) or positive, not {GroupLassoStrength}.");
        if (!(RegenerateFraction >= 0 && RegenerateFraction < 1))
            errors.Add($"{nameof(RegenerateFraction)} must lie in [0, 1), not {RegenerateFraction}.");
        else if (RegenerateFraction > 0 && Regrowth == Regrowth.Restore)
            errors.Add($"{nameof(RegenerateFraction)} needs Regrowth fresh: restore puts back the neurons a prune removed, and regenerated ones have nothing to restore.");
        if (!(GrowthInitScale >= 0) || double.IsInfinity(GrowthInitScale))
            errors.Add($"GrowthInitScale must be 0 or positive, not {GrowthInitScale}.");
        if (!(RegrownOutgoingScale >= 0) || double.IsInfinity(RegrownOutgoingScale))
            errors.Add($"{nameof(RegrownOutgoingScale)} must be 0 (zero outgoing weights) or positive, not {RegrownOutgoingScale}.");
        if (!(RegrownWarmupFraction >= 0 && RegrownWarmupFraction < 1))
            errors.Add($"{nameof(RegrownWarmupFraction)} must lie in [0, 1), not {RegrownWarmupFraction}.");
        return errors;
    }
}
