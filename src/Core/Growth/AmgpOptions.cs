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
/// Section "Offline:Amgp". Step counts are optimizer steps. The plan is: <see cref="WarmupSteps"/> dense, then
/// cycles of <see cref="PrunedSteps"/> at <see cref="KeepFraction"/> of every hidden layer followed by
/// <see cref="DenseSteps"/> at full width, as many as fit before a final full-width phase of at least
/// <see cref="FinalDenseSteps"/>. The defaults come from `recurring bench amgp` (docs/amgp.md).
/// </summary>
public sealed record AmgpOptions
{
    public AmgpMode Mode { get; init; } = AmgpMode.Amgp;
    public int WarmupSteps { get; init; } = 100;
    public double KeepFraction { get; init; } = 0.5;
    public int PrunedSteps { get; init; } = 200;
    public int DenseSteps { get; init; } = 50;
    public int FinalDenseSteps { get; init; } = 100;

    /// <summary>
    /// Strength of a group-lasso penalty on whole neurons during each dense phase that precedes a prune, pushing
    /// the neurons about to be removed towards zero first. 0 turns it off.
    /// </summary>
    public double GroupLassoStrength { get; init; }

    /// <summary>Scale of the random incoming weights of regrown neurons, relative to the layer's initial spread.</summary>
    public double GrowthInitScale { get; init; } = 0.1;

    public IReadOnlyList<string> Validate()
    {
        const string prefix = "Offline:Amgp:";
        var errors = new List<string>();
        if (WarmupSteps < 0) errors.Add($"{prefix}WarmupSteps must be 0 or more, not {WarmupSteps}.");
        if (Mode == AmgpMode.Dense) return errors;
        if (!(KeepFraction > 0 && KeepFraction < 1))
            errors.Add($"{prefix}KeepFraction must lie strictly between 0 and 1, not {KeepFraction}.");
        if (Mode == AmgpMode.Amgp)
        {
            if (PrunedSteps < 1) errors.Add($"{prefix}PrunedSteps must be at least 1, not {PrunedSteps}.");
            if (DenseSteps < 1) errors.Add($"{prefix}DenseSteps must be at least 1, not {DenseSteps}.");
            if (FinalDenseSteps < 1)
                errors.Add($"{prefix}FinalDenseSteps must be at least 1: AMGP always ends with a full-size dense phase, not {FinalDenseSteps}.");
        }
        if (GroupLassoStrength < 0 || double.IsNaN(GroupLassoStrength) || double.IsInfinity(GroupLassoStrength))
            errors.Add($"{prefix}GroupLassoStrength must be 0 (off) or positive, not {GroupLassoStrength}.");
        if (!(GrowthInitScale >= 0) || double.IsInfinity(GrowthInitScale))
            errors.Add($"{prefix}GrowthInitScale must be 0 or positive, not {GrowthInitScale}.");
        return errors;
    }
}
