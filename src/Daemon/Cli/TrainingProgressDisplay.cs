using Recurring.Core.Growth;
using Recurring.Core.Training;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>
/// Shows offline training as a progress bar on a terminal, and as one plain line per evaluation when the output is
/// redirected (logs, CI), so both stay readable.
/// </summary>
public sealed class TrainingProgressDisplay
{
    private readonly TextWriter _output;
    private readonly bool _interactive;

    public TrainingProgressDisplay(TextWriter output)
    {
        _output = output;
        _interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    }

    /// <summary>Runs <paramref name="train"/> while reporting its progress and phase changes.</summary>
    public async Task<T> RunAsync<T>(OfflineTrainer trainer, GrowthPruningController? growth, long plannedSamples, Func<Task<T>> train)
    {
        if (!_interactive)
        {
            trainer.Progress += p => _output.WriteLine(Describe(p));
            if (growth is not null) growth.PhaseChanged += c => _output.WriteLine(Describe(c));
            return await train();
        }

        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("training", maxValue: plannedSamples);
                trainer.Progress += p =>
                {
                    task.Value = Math.Min(p.Samples, plannedSamples);
                    task.Description = $"AUC {p.LatestEvaluation.Result.Model.Auc:F4}  {p.SamplesPerSecond:N0}/s";
                    AnsiConsole.MarkupLineInterpolated($"[grey]{Describe(p)}[/]");
                };
                if (growth is not null) growth.PhaseChanged += c => AnsiConsole.MarkupLineInterpolated($"[yellow]{Describe(c)}[/]");
                result = await train();
                task.Value = plannedSamples;
            });
        return result;
    }

    public static string Describe(OfflineProgress p)
    {
        var eval = p.LatestEvaluation.Result;
        string bayes = eval.Bayes is null ? "" : $" (Bayes {eval.Bayes.Auc:F4})";
        return $"step {p.Step,6}  samples {p.Samples,10:N0}/{p.PlannedSamples:N0}  {p.SamplesPerSecond,8:N0}/s  " +
               $"train logloss {p.TrainLoss:F4}  eval AUC {eval.Model.Auc:F4}{bayes}  logloss {eval.Model.LogLoss:F4}  NE {eval.Model.NormalizedEntropy:F4}";
    }

    public static string Describe(PhaseChange change) =>
        $"step {change.Step}: {(change.Pruned ? "pruned" : "grown")} to bottom [{string.Join(", ", change.BottomHidden)}] top [{string.Join(", ", change.TopHidden)}] (phase {change.PhaseIndex})";
}
