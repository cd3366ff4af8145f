using ScottPlot;

namespace Recurring.Daemon.Bench;

/// <summary>The recurring stage's picture: windowed progressive AUC over stream events, one line per start model.</summary>
public static class RecurringChart
{
    public static void Save(IReadOnlyList<RecurringRun> runs, string path)
    {
        var seed = runs[0].Seed;
        var plot = new Plot();
        foreach (var run in runs.Where(r => r.Seed == seed))
        {
            var line = plot.Add.Scatter(run.Curve.Select(p => (double)p.Events).ToArray(), run.Curve.Select(p => p.Auc).ToArray());
            line.LegendText = run.Start;
            line.MarkerSize = 0;
        }
        plot.Title($"Progressive AUC on the drifting stream (scored before learning), seed {seed}");
        plot.XLabel("stream events");
        plot.YLabel($"AUC over the last {1.0 / RecurringBenchmark.CurveWindows:P0} of the stream");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 500);
    }
}
