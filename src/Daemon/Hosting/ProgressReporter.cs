using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Hosting;

/// <summary>One line of progress every few seconds, so a terminal or a journal shows what the daemon is doing.</summary>
public sealed class ProgressReporter(DaemonStatus status, ILogger<ProgressReporter> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, status.Time);
        while (await timer.WaitForNextTickOrStopAsync(stoppingToken))
        {
            var s = status.Snapshot();
            var (model, streaming, reader) = (s.Model, s.Streaming, s.Reader);
            switch (s.Activity.Activity)
            {
                case DaemonActivity.Offline when s.Offline.PlannedSamples == 0:
                    // Until the run is set up (the data opened, the held-out set read, the teacher calibrated) there is no plan to report against.
                    logger.LogInformation("offline: setting up the run ({Samples:N0} events trained so far)", model.Samples);
                    break;
                case DaemonActivity.Offline:
                    logger.LogInformation("offline: {Samples:N0}/{Planned:N0} events, {Rate:N0}/s, ETA {Eta}, eval AUC {Auc} (Bayes {Bayes}), MLP widths bottom [{Bottom}] top [{Top}]",
                        model.Samples, s.Offline.PlannedSamples, model.SamplesPerSecond,
                        Durations.Describe(StatusDocument.OfflineEtaSeconds(s) is { } eta ? TimeSpan.FromSeconds(eta) : null),
                        Format(s.Offline.EvalAuc), Format(s.Offline.BayesAuc),
                        string.Join(", ", model.BottomWidths.Skip(1).SkipLast(1)), string.Join(", ", model.TopWidths.Skip(1).SkipLast(1)));
                    break;
                case DaemonActivity.Streaming:
                    logger.LogInformation("streaming: {Trained:N0} trained, {DeadLettered:N0} dead-lettered, {Rate:N0}/s, progressive AUC {Auc} NE {Ne}, lag {Lag:N0}, last checkpoint {Age}{Paused}{Kafka}",
                        streaming.EventsTrained, streaming.DeadLettered.Values.Sum(), model.SamplesPerSecond, Format(streaming.ProgressiveWindow?.Auc),
                        Format(streaming.ProgressiveWindow?.NormalizedEntropy), reader.Partitions.Sum(p => p.Lag),
                        s.CheckpointAgeSeconds is { } age ? $"{age:F0} s ago" : "none", reader.Paused ? " (paused)" : "", reader.Reachable ? "" : " (Kafka unreachable)");
                    break;
            }
        }
    }

    private static string Format(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F4") : "n/a";
}
