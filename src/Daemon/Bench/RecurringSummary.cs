using Spectre.Console;

namespace Recurring.Daemon.Bench;

public sealed record RecurringStartSummary(
    string Start,
    Spread OfflineEvalAuc,
    Spread ProgressiveAuc,
    Spread ProgressiveNe,
    Spread TailAuc,
    Spread TailNe,
    Spread AucMinusDense,
    Spread TailAucMinusDense);

/// <summary>The recurring stage's table: each start model against the dense-started one of the same seed, then over seeds.</summary>
public sealed record RecurringSummary(IReadOnlyList<RecurringStartSummary> Rows)
{
    public static RecurringSummary From(IReadOnlyList<RecurringRun> runs)
    {
        var dense = runs.Where(r => r.Start == AmgpVariant.Dense.Name).ToDictionary(r => r.Seed);
        var rows = RecurringBenchmark.Starts.Select(start =>
        {
            var ofStart = runs.Where(r => r.Start == start).ToList();
            return new RecurringStartSummary(
                start,
                Spread.Of(ofStart.Select(r => r.OfflineEvalAuc)),
                Spread.Of(ofStart.Select(r => r.Whole.Auc)),
                Spread.Of(ofStart.Select(r => r.Whole.NormalizedEntropy)),
                Spread.Of(ofStart.Select(r => r.Tail.Auc)),
                Spread.Of(ofStart.Select(r => r.Tail.NormalizedEntropy)),
                Spread.Of(ofStart.Select(r => r.Whole.Auc - dense[r.Seed].Whole.Auc)),
                Spread.Of(ofStart.Select(r => r.Tail.Auc - dense[r.Seed].Tail.Auc)));
        }).ToList();
        return new RecurringSummary(rows);
    }

    public Table ToTable()
    {
        string tail = $"last {RecurringBenchmark.TailFraction:P0}";
        var table = new Table().AddColumns("start model", "offline eval AUC", "progressive AUC", "AUC - dense", "progressive NE",
            $"AUC, {tail}", $"AUC - dense, {tail}", $"NE, {tail}");
        foreach (var row in Rows)
        {
            table.AddRow(row.Start, row.OfflineEvalAuc.Format("F4"), row.ProgressiveAuc.Format("F4"), row.AucMinusDense.Format("+0.0000;-0.0000"),
                row.ProgressiveNe.Format("F4"), row.TailAuc.Format("F4"), row.TailAucMinusDense.Format("+0.0000;-0.0000"), row.TailNe.Format("F4"));
        }
        return table;
    }
}
