using ScottPlot;

namespace Recurring.Daemon.Bench;

/// <summary>The AMGP benchmark's picture: hidden width and eval AUC over training steps, one line per mode.</summary>
public static class AmgpChart
{
    public static void Save(IReadOnlyList<AmgpRun> runs, string path)
    {
        var seed = runs[0].Seed;
        var shown = runs.Where(r => r.Seed == seed).ToList();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var widths = multiplot.Subplots.GetPlot(0);
        var auc = multiplot.Subplots.GetPlot(1);
        foreach (var run in shown)
        {
            var label = run.Variant.Name;
            var widthLine = widths.Add.Scatter(run.Widths.Select(w => (double)w.Step).ToArray(), run.Widths.Select(w => (double)w.HiddenNeurons).ToArray());
            widthLine.LegendText = label;
            widthLine.MarkerSize = 0;
            var aucLine = auc.Add.Scatter(run.Curve.Select(p => (double)p.Step).ToArray(), run.Curve.Select(p => p.Result.Model.Auc).ToArray());
            aucLine.LegendText = label;
            aucLine.MarkerSize = 3;
        }
        widths.Title($"Hidden neurons (bottom + top MLP), seed {seed}");
        widths.YLabel("hidden neurons");
        widths.ShowLegend();
        auc.Title("Eval AUC on the held-out set");
        auc.XLabel("training step");
        auc.YLabel("AUC");
        auc.ShowLegend(Alignment.LowerRight);
        multiplot.SavePng(path, 900, 800);
    }
}
