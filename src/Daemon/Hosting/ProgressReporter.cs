using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Recurring.Daemon.Hosting;

/// <summary>One line of progress every few seconds, so a terminal or a journal shows what the daemon is doing.</summary>
public sealed class ProgressReporter(DaemonStatus status, ILogger<ProgressReporter> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, status.Time);
        while (await NextTickAsync(timer, stoppingToken))
        {
            var s = status.Current;
            switch (s.Phase)
            {
                case DaemonPhase.Offline:
                    logger.LogInformation("offline: {Samples:N0}/{Planned:N0} events, {Rate:N0}/s, eval AUC {Auc} (Bayes {Bayes}), MLP widths bottom [{Bottom}] top [{Top}]",
                        s.Samples, s.OfflinePlannedSamples, s.SamplesPerSecond, Format(s.OfflineEvalAuc), Format(s.OfflineBayesAuc),
                        string.Join(", ", s.BottomWidths.Skip(1).SkipLast(1)), string.Join(", ", s.TopWidths.Skip(1).SkipLast(1)));
                    break;
                case DaemonPhase.Streaming:
                    logger.LogInformation("streaming: {Trained:N0} trained, {DeadLettered:N0} dead-lettered, {Rate:N0}/s, progressive AUC {Auc} NE {Ne}, lag {Lag:N0}, last checkpoint {Age}{Paused}{Kafka}",
                        s.EventsTrained, s.DeadLettered.Values.Sum(), s.SamplesPerSecond, Format(s.ProgressiveWindow?.Auc), Format(s.ProgressiveWindow?.NormalizedEntropy),
                        s.Partitions.Sum(p => p.Lag), status.CheckpointAgeSeconds(s) is { } age ? $"{age:F0} s ago" : "none",
                        s.Paused ? " (paused)" : "", s.KafkaReachable ? "" : " (Kafka unreachable)");
                    break;
            }
        }
    }

    /// <summary>False once stopping: cancellation is how the host says stop (also when its start failed), not a failure.</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string Format(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F4") : "n/a";
}
