using Recurring.Core.Growth;
using Recurring.Core.Training;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Offline": the history the offline phase trains on.</summary>
public sealed class OfflineOptions
{
    public const string Section = "Offline";

    /// <summary>
    /// An event file, or a folder of files of one format read in name order; the extension says the format: .tsv
    /// (Criteo layout), .jsonl or .parquet. Empty means synthetic data.
    /// </summary>
    public string Data { get; set; } = "";

    /// <summary>Training events drawn from the synthetic generator when <see cref="Data"/> is empty.</summary>
    [AtLeast(1)]
    public long SyntheticEvents { get; set; } = 3_000_000;

    /// <summary>
    /// Most held-out events: the ones right after the training range (synthetic data), or the last records of
    /// <see cref="Data"/> (at most <see cref="EvalFraction"/> of them), or the first records of <see cref="EvalData"/>.
    /// </summary>
    [AtLeast(1)]
    public int EvalEvents { get; set; } = 100_000;

    /// <summary>Largest share of the records (lines or Parquet rows) of <see cref="Data"/> held out for evaluation when <see cref="EvalData"/> is empty.</summary>
    public double EvalFraction { get; set; } = 0.02;

    /// <summary>A separate event file or folder (formats as for <see cref="Data"/>) to evaluate on; then every record of <see cref="Data"/> trains.</summary>
    public string EvalData { get; set; } = "";

    [AtLeast(1)]
    public int EvaluateEverySteps { get; set; } = 1000;

    /// <summary>The MLP learning rate's schedule over the offline run, in every mode (section Offline:MlpRateBoost).</summary>
    public MlpRateBoost MlpRateBoost { get; set; } = new();

    /// <summary>Alternate growth and pruning during the offline phase (section Offline:Amgp).</summary>
    public AmgpOptions Amgp { get; set; } = new();

    /// <summary>What <see cref="MlpRateBoost"/> does to a run of <paramref name="runSteps"/> steps, in one line; null when it is turned off (factor 1).</summary>
    public string? DescribeRateBoost(long runSteps)
    {
        if (MlpRateBoost.Factor == 1) return null;
        if (!MlpRateBoost.Applies(runSteps))
            return FormattableString.Invariant($"MLP learning rate constant: {runSteps:N0} steps are fewer than Offline:MlpRateBoost:MinimumRunSteps ({MlpRateBoost.MinimumRunSteps:N0})");
        var (from, until) = MlpRateBoost.Window(runSteps);
        return FormattableString.Invariant($"MLP learning rate x{MlpRateBoost.Factor:0.###} from step {from:N0} until step {until:N0} (Offline:MlpRateBoost)");
    }
}
