using Spectre.Console;

namespace Recurring.Daemon.Bench;

/// <summary>A figure over seeds: mean and sample standard deviation.</summary>
public sealed record Spread(double Mean, double StandardDeviation)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var list = values.ToList();
        double mean = list.Average();
        double sd = list.Count > 1 ? Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1)) : 0;
        return new Spread(mean, sd);
    }

    /// <summary>The mean in <paramref name="format"/>; the deviation in its first section without a sign ("+0.0000;-0.0000" gives "-0.0013 ± 0.0029").</summary>
    public string Format(string format) =>
        StandardDeviation == 0 ? Mean.ToString(format) : $"{Mean.ToString(format)} ± {StandardDeviation.ToString(format.Split(';')[0].TrimStart('+'))}";
}

public sealed record AmgpModeSummary(
    string Mode,
    Spread EvalAuc,
    Spread EvalLogLoss,
    Spread EvalNe,
    Spread BayesAuc,
    Spread AucMinusDense,
    Spread TotalFlopsRatioToDense,
    Spread MlpFlopsRatioToDense,
    Spread WallTimeRatioToDense,
    long FinalParameters);

/// <summary>The benchmark's table: each mode against dense of the same seed, then averaged over seeds.</summary>
public sealed record AmgpSummary(IReadOnlyList<AmgpModeSummary> Rows)
{
    public static AmgpSummary From(IReadOnlyList<AmgpRun> runs)
    {
        var dense = runs.Where(r => r.Variant == AmgpVariant.Dense).ToDictionary(r => r.Seed);
        var rows = AmgpVariant.All.Select(variant =>
        {
            var ofMode = runs.Where(r => r.Variant == variant).ToList();
            return new AmgpModeSummary(
                variant.Name,
                Spread.Of(ofMode.Select(r => r.Final.Model.Auc)),
                Spread.Of(ofMode.Select(r => r.Final.Model.LogLoss)),
                Spread.Of(ofMode.Select(r => r.Final.Model.NormalizedEntropy)),
                Spread.Of(ofMode.Select(r => r.Final.Bayes?.Auc ?? double.NaN)),
                Spread.Of(ofMode.Select(r => r.Final.Model.Auc - dense[r.Seed].Final.Model.Auc)),
                Spread.Of(ofMode.Select(r => r.TotalFlops / dense[r.Seed].TotalFlops)),
                Spread.Of(ofMode.Select(r => r.MlpFlops / dense[r.Seed].MlpFlops)),
                Spread.Of(ofMode.Select(r => r.TrainingSeconds / dense[r.Seed].TrainingSeconds)),
                ofMode[0].FinalParameters);
        }).ToList();
        return new AmgpSummary(rows);
    }

    public Table ToTable()
    {
        var table = new Table().AddColumns("mode", "eval AUC", "AUC - dense", "logloss", "NE", "Bayes AUC",
            "train FLOPs / dense", "MLP FLOPs / dense", "wall time / dense", "final parameters");
        foreach (var row in Rows)
        {
            table.AddRow(row.Mode, row.EvalAuc.Format("F4"), row.AucMinusDense.Format("+0.0000;-0.0000"), row.EvalLogLoss.Format("F4"),
                row.EvalNe.Format("F4"), row.BayesAuc.Format("F4"), row.TotalFlopsRatioToDense.Format("F3"),
                row.MlpFlopsRatioToDense.Format("F3"), row.WallTimeRatioToDense.Format("F3"), $"{row.FinalParameters:N0}");
        }
        return table;
    }
}
