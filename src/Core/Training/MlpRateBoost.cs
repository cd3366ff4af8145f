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

    /// <summary>
    /// Runs of fewer steps train at a constant rate: their warm-up is too short for Adagrad's accumulators to fill
    /// (50,000 events, 98 steps of 512: dense AUC 0.7092 boosted against 0.7188 at a constant rate; 100,000 events,
    /// 196 steps: 0.7303 against 0.7319; from 300,000 events, 586 steps, the boost wins).
    /// </summary>
    public int MinimumRunSteps { get; init; } = 400;

    /// <summary>Problems with these options, each naming the setting at fault; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(Factor > 0) || double.IsInfinity(Factor))
            errors.Add($"{nameof(Factor)} must be positive, not {Factor}.");
        if (MinimumRunSteps < 0)
            errors.Add($"{nameof(MinimumRunSteps)} must be 0 or more, not {MinimumRunSteps}.");
        if (!(FromFraction >= 0 && FromFraction < UntilFraction && UntilFraction <= 1))
            errors.Add($"{nameof(FromFraction)} and {nameof(UntilFraction)} must satisfy 0 <= {nameof(FromFraction)} < {nameof(UntilFraction)} <= 1, not {FromFraction} and {UntilFraction}.");
        return errors;
    }

    /// <summary>Whether a run of <paramref name="runSteps"/> steps is long enough to be boosted.</summary>
    public bool Applies(long runSteps) => Factor != 1 && runSteps >= MinimumRunSteps;

    /// <summary>The first boosted step and the first step after the boost, in a run of <paramref name="runSteps"/> steps (empty when it does not apply).</summary>
    public (long From, long Until) Window(long runSteps) =>
        Applies(runSteps) ? ((long)Math.Round(FromFraction * runSteps), (long)Math.Round(UntilFraction * runSteps)) : (0, 0);

    /// <summary>The factor on the MLP learning rate at <paramref name="step"/> (0-based) of a run of <paramref name="runSteps"/> steps.</summary>
    public double FactorAt(long step, long runSteps)
    {
        var (from, until) = Window(runSteps);
        return step >= from && step < until ? Factor : 1;
    }
}
