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

    /// <summary>A clock whose timers fire at once, moving the clock by their due time, and remember it.</summary>
    private sealed class FastForwardClock : TimeProvider
    {
        private long _ticks;

        public List<TimeSpan> Sleeps { get; } = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Sleeps) Sleeps.Add(dueTime);
            Interlocked.Add(ref _ticks, dueTime.Ticks);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new FiredTimer();
        }

        private sealed class FiredTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
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

    [Fact(Timeout = 10_000)]
    public async Task WaitingNeverSleepsLessThanAMillisecond()
    {
        // Sub-millisecond delays complete at once (they never reach the clock's timers), so waiting for them spins
        // forever on this clock; the bucket must sleep a whole millisecond and let the burst absorb the difference.
        var clock = new FastForwardClock();
        var bucket = new TokenBucket(100_000, TimeSpan.FromMilliseconds(50), clock);
        for (int i = 0; i < 20; i++) await bucket.TakeAsync(CancellationToken.None);
        Assert.All(clock.Sleeps, sleep => Assert.True(sleep >= TimeSpan.FromMilliseconds(1), $"slept {sleep.TotalMilliseconds} ms"));
    }
}
