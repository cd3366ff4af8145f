using Recurring.Daemon.Admin;

namespace Recurring.Daemon.Tests.Admin;

public sealed class TimeSeriesRingTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int second) => Start.AddSeconds(second);

    [Fact]
    public void AnEmptyRingHasNoSamples()
    {
        var ring = new TimeSeriesRing<int>(3);

        Assert.Empty(ring.Since(null));
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void SamplesComeBackOldestFirst()
    {
        var ring = new TimeSeriesRing<int>(5);
        for (int i = 0; i < 3; i++) ring.Add(At(i), i * 10);

        Assert.Equal([0, 10, 20], ring.Since(null).Select(s => s.Value));
        Assert.Equal([At(0), At(1), At(2)], ring.Since(null).Select(s => s.At));
    }

    [Fact]
    public void AFullRingDropsTheOldestSamplesAndNeverGrows()
    {
        var ring = new TimeSeriesRing<int>(4);
        for (int i = 0; i < 11; i++) ring.Add(At(i), i);

        Assert.Equal(4, ring.Count);
        Assert.Equal([7, 8, 9, 10], ring.Since(null).Select(s => s.Value));
    }

    [Fact]
    public void SinceReturnsOnlySamplesStrictlyAfterTheGivenTime()
    {
        var ring = new TimeSeriesRing<int>(4);
        for (int i = 0; i < 6; i++) ring.Add(At(i), i);

        Assert.Equal([4, 5], ring.Since(At(3)).Select(s => s.Value));
        Assert.Empty(ring.Since(At(5)));
        Assert.Equal([2, 3, 4, 5], ring.Since(At(-100)).Select(s => s.Value));
    }

    [Fact]
    public void ACapacityBelowOneIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeSeriesRing<int>(0));
    }
}
