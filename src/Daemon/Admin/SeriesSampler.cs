using Microsoft.Extensions.Hosting;

namespace Recurring.Daemon.Admin;

/// <summary>
/// Adds a sample to the ring at start and then every <paramref name="interval"/>, from a snapshot delegate: the
/// sampler knows nothing of what it samples, and the trainer does no bookkeeping for the page.
/// </summary>
public sealed class SeriesSampler<T>(TimeSeriesRing<T> ring, Func<T> snapshot, TimeSpan interval, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            ring.Add(time.GetUtcNow(), snapshot());
        }
        while (await timer.WaitForNextTickOrStopAsync(stoppingToken));
    }
}
