namespace Recurring.Core.Training;

/// <summary>
/// A step schedule for the MLP learning rate over one offline run: the configured rate for the first
/// <see cref="FromFraction"/> of the run's steps, <see cref="Factor"/> times it until <see cref="UntilFraction"/>, then
/// the configured rate again. Why: Adagrad's steps shrink as its accumulators grow, so in one pass over the history a
/// constant rate low enough for the first steps (a larger one from the start lost AUC) leaves the MLPs under-stepped for
/// the rest; the last stretch at the configured rate lets the model settle (docs/training.md: measured). Every mode
/// (dense, amgp, prune-only) trains under it; the streaming phase does not.
/// </summary>
public sealed record MlpRateBoost
{
    /// <summary>Factor on the MLP learning rate inside the window; 1 trains at a constant rate.</summary>
    public double Factor { get; init; } = 4;

    /// <summary>Share of the run's steps, from its first, before the boost begins.</summary>
    public double FromFraction { get; init; } = 0.07;

    /// <summary>Share of the run's steps, from its first, at which the boost ends.</summary>
    public double UntilFraction { get; init; } = 0.9;

    /// <summary>Problems with these options, each naming the setting at fault; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(Factor > 0) || double.IsInfinity(Factor))
            errors.Add($"{nameof(Factor)} must be positive, not {Factor}.");
        if (!(FromFraction >= 0 && FromFraction < UntilFraction && UntilFraction <= 1))
            errors.Add($"{nameof(FromFraction)} and {nameof(UntilFraction)} must satisfy 0 <= {nameof(FromFraction)} < {nameof(UntilFraction)} <= 1, not {FromFraction} and {UntilFraction}.");
        return errors;
    }

    /// <summary>The first boosted step and the first step after the boost, in a run of <paramref name="runSteps"/> steps.</summary>
    public (long From, long Until) Window(long runSteps) => ((long)Math.Round(FromFraction * runSteps), (long)Math.Round(UntilFraction * runSteps));

    /// <summary>The factor on the MLP learning rate at <paramref name="step"/> (0-based) of a run of <paramref name="runSteps"/> steps.</summary>
    public double FactorAt(long step, long runSteps)
    {
        var (from, until) = Window(runSteps);
        return step >= from && step < until ? Factor : 1;
    }
}
