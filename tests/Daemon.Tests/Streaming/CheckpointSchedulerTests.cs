using Microsoft.Extensions.Time.Testing;
using Recurring.Checkpointing;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Tests.Streaming;

public sealed class CheckpointSchedulerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void WhileFailingARetryComesOneSecondAfterTheFailureThenTwiceAsLateUpToAMinute()
    {
        var schedule = new CheckpointScheduler(new CheckpointOptions { EveryEvents = 1_000, EverySeconds = 300, PauseAfterFailures = 2 }, _time);
        schedule.Consumed(10);
        Fail(schedule);
        Assert.False(schedule.IsFailing);
        Fail(schedule);
        Assert.True(schedule.IsFailing);

        var waits = new List<double>();
        for (int retry = 0; retry < 9; retry++)
        {
            waits.Add(SecondsUntilDue(schedule));
            Fail(schedule);
        }
        schedule.Attempted();
        schedule.Succeeded();

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], waits);
        Assert.False(schedule.IsFailing);
        Assert.False(schedule.IsDue);
    }

    [Fact]
    public void WithPauseAfterFailuresZeroItNeverSaysToPause()
    {
        var schedule = new CheckpointScheduler(new CheckpointOptions { PauseAfterFailures = 0 }, _time);
        schedule.Consumed(10);

        for (int i = 0; i < 100; i++) Fail(schedule);

        Assert.False(schedule.IsFailing);
    }

    private static void Fail(CheckpointScheduler schedule)
    {
        schedule.Attempted();
        schedule.Failed();
    }

    private double SecondsUntilDue(CheckpointScheduler schedule)
    {
        var step = TimeSpan.FromMilliseconds(100);
        int steps = 0;
        for (; !schedule.IsDue; steps++) _time.Advance(step);
        return Math.Round(steps * step.TotalSeconds, 1);
    }
}
