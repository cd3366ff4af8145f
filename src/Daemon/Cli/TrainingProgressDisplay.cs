using System.Diagnostics;
using Recurring.Core.Growth;
using Recurring.Core.Training;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>
/// Shows offline training as a progress bar on a terminal, moving every few seconds, and as plain lines when the
/// output is redirected (logs, CI): one per evaluation and, between them, samples, rate and ETA at most every
/// <see cref="PlainAdvanceInterval"/>, so both stay readable.
/// </summary>
public sealed class TrainingProgressDisplay
{
    private static readonly TimeSpan PlainAdvanceInterval = TimeSpan.FromSeconds(10);

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
            long lastLine = Stopwatch.GetTimestamp();
            trainer.Progress += p =>
            {
                _output.WriteLine(Describe(p));
                lastLine = Stopwatch.GetTimestamp();
            };
            trainer.Advanced += a =>
            {
                if (Stopwatch.GetElapsedTime(lastLine) < PlainAdvanceInterval) return;
                _output.WriteLine(Describe(a));
                lastLine = Stopwatch.GetTimestamp();
            };
            if (growth is not null) growth.PhaseChanged += c => _output.WriteLine(Describe(c));
            return await train();
        }

        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("training", maxValue: plannedSamples);
                string auc = "n/a";
                trainer.Progress += p =>
                {
                    auc = $"{p.LatestEvaluation.Result.Model.Auc:F4}";
                    task.Value = Math.Min(p.Samples, plannedSamples);
                    task.Description = $"AUC {auc}  {p.SamplesPerSecond:N0}/s";
                    AnsiConsole.MarkupLineInterpolated($"[grey]{Describe(p)}[/]");
                };
                trainer.Advanced += a =>
                {
                    task.Value = Math.Min(a.Samples, plannedSamples);
                    task.Description = $"AUC {auc}  {a.SamplesPerSecond:N0}/s";
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

    public static string Describe(OfflineAdvance a) =>
        $"step {a.Step,6}  samples {a.Samples,10:N0}/{a.PlannedSamples:N0}  {a.SamplesPerSecond,8:N0}/s  ETA {Durations.Describe(a.Eta)}";

    public static string Describe(PhaseChange change) =>
        $"step {change.Step}: {(change.Pruned ? "pruned" : "grown")} to bottom [{string.Join(", ", change.BottomHidden)}] top [{string.Join(", ", change.TopHidden)}] (phase {change.PhaseIndex})";
}
