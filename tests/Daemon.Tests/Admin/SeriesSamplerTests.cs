using Microsoft.Extensions.Time.Testing;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Tests.Daemon;

namespace Recurring.Daemon.Tests.Admin;

public sealed class SeriesSamplerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ItSamplesAtStartAndThenOncePerInterval()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var ring = new TimeSeriesRing<long>(100);
        long calls = 0;
        using var sampler = new SeriesSampler<long>(ring, () => ++calls, Interval, time);

        await sampler.StartAsync(CancellationToken.None);
        await Eventually.Until(() => ring.Count, count => count == 1, "the first sample, taken at start", n => $"{n}");
        for (int tick = 1; tick <= 3; tick++)
        {
            time.Advance(Interval);
            int expected = tick + 1;
            await Eventually.Until(() => ring.Count, count => count == expected, $"sample {expected}", n => $"{n}");
        }
        time.Advance(Interval / 2);
        await sampler.StopAsync(CancellationToken.None);

        var samples = ring.Since(null);
        Assert.Equal([1L, 2, 3, 4], samples.Select(s => s.Value));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => time.Start + i * Interval), samples.Select(s => s.At));
    }

    [Fact]
    public async Task ARingSmallerThanTheRunKeepsOnlyTheNewestSamples()
    {
        var time = new FakeTimeProvider();
        var ring = new TimeSeriesRing<long>(2);
        long calls = 0;
        using var sampler = new SeriesSampler<long>(ring, () => ++calls, Interval, time);

        await sampler.StartAsync(CancellationToken.None);
        for (int tick = 1; tick <= 5; tick++)
        {
            await Eventually.Until(() => Interlocked.Read(ref calls), n => n == tick, $"sample {tick}", n => $"{n}");
            time.Advance(Interval);
        }
        await Eventually.Until(() => Interlocked.Read(ref calls), n => n == 6, "sample 6", n => $"{n}");
        await sampler.StopAsync(CancellationToken.None);

        Assert.Equal([5L, 6], ring.Since(null).Select(s => s.Value));
    }
}
