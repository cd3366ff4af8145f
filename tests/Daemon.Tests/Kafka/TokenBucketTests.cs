using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class TokenBucketTests
{
    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan time) => _ticks += time.Ticks;
    }

    private readonly ManualClock _clock = new();

    /// <summary>100 events per second with a 50 ms burst: at most 5 events at once.</summary>
    private TokenBucket HundredPerSecond() => new(100, TimeSpan.FromMilliseconds(50), _clock);

    private static int TakeAll(TokenBucket bucket)
    {
        int taken = 0;
        while (bucket.TryTake(out _)) taken++;
        return taken;
    }

    [Fact]
    public void TheFirstEventGoesAtOnceAndTheNextWaitsOneInterval()
    {
        var bucket = HundredPerSecond();
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(10), wait);
    }

    [Fact]
    public void EventsAccrueAtTheRate()
    {
        var bucket = HundredPerSecond();
        TakeAll(bucket);
        _clock.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(3, TakeAll(bucket));
    }

    [Fact]
    public void IdleTimeBanksNoMoreThanTheBurst()
    {
        var bucket = HundredPerSecond();
        TakeAll(bucket);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(5, TakeAll(bucket));
    }
}
