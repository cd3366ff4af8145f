namespace Recurring.Checkpointing.Tests;

public class RetentionPolicyTests
{
    private static readonly DateTime Newest = new(2026, 11, 26, 18, 0, 0, DateTimeKind.Utc);

    // A sequence that follows the clock, as on a machine whose clock never jumped.
    private static RetentionCandidate At(DateTime createdUtc, bool pinned = false) =>
        new(CheckpointId.Create(createdUtc.Ticks / TimeSpan.TicksPerSecond, createdUtc, 0), createdUtc, pinned);

    /// <summary>Three checkpoints a day (06:00, 12:00, 18:00) for twelve days up to <see cref="Newest"/>, oldest first.</summary>
    private static List<RetentionCandidate> TwelveDays() =>
        Enumerable.Range(0, 12).Reverse()
            .SelectMany(daysAgo => new[] { 6, 12, 18 }.Select(hour => Newest.Date.AddDays(-daysAgo).AddHours(hour)))
            .Select(created => At(created))
            .ToList();

    private static string[] Kept(RetentionPlan plan) => plan.Decisions.Where(d => d.Keep).Select(d => d.Id).ToArray();

    [Fact]
    public void KeepsTheLastNAndTheNewestOfEachOfTheLastDDays()
    {
        var history = TwelveDays();
        var plan = RetentionPolicy.Plan(history, newestValid: history[^1].Id, new RetentionRule(KeepLast: 5, KeepDailyDays: 7));

        var lastFive = history.TakeLast(5);
        var eveningsOfLastSevenDays = Enumerable.Range(0, 7).Select(daysAgo => At(Newest.AddDays(-daysAgo)));
        Assert.Equal(lastFive.Concat(eveningsOfLastSevenDays).Select(c => c.Id).Distinct().Order(StringComparer.Ordinal).Reverse(), Kept(plan));
    }

    [Fact]
    public void NeverDeletesPinnedCheckpoints()
    {
        var history = TwelveDays();
        history[0] = history[0] with { Pinned = true };
        var plan = RetentionPolicy.Plan(history, newestValid: history[^1].Id, new RetentionRule(KeepLast: 1, KeepDailyDays: 0));

        Assert.Equal([history[^1].Id, history[0].Id], Kept(plan));
        Assert.Contains("pinned", plan.Decisions.Single(d => d.Id == history[0].Id).Reason);
    }

    [Fact]
    public void KeepsEverythingNewerThanTheNewestValidCheckpoint()
    {
        var history = TwelveDays();
        var plan = RetentionPolicy.Plan(history, newestValid: history[^4].Id, new RetentionRule(KeepLast: 1, KeepDailyDays: 0));

        Assert.Equal(history.TakeLast(4).Select(c => c.Id).Reverse(), Kept(plan));
    }

    [Fact]
    public void DeletesNothingWithoutAValidCheckpoint()
    {
        var plan = RetentionPolicy.Plan(TwelveDays(), newestValid: null, new RetentionRule(KeepLast: 1, KeepDailyDays: 0));
        Assert.Empty(plan.Deletions);
    }

    [Fact]
    public void DeletesOldestFirst()
    {
        var history = TwelveDays();
        var plan = RetentionPolicy.Plan(history, newestValid: history[^1].Id, new RetentionRule(KeepLast: 1, KeepDailyDays: 0));
        Assert.Equal(history.SkipLast(1).Select(c => c.Id), plan.Deletions);
    }

    [Fact]
    public void DaysCountBackFromTheNewestCheckpointNotFromToday()
    {
        var history = TwelveDays();
        var plan = RetentionPolicy.Plan(history, newestValid: history[^1].Id, new RetentionRule(KeepLast: 1, KeepDailyDays: 2));
        Assert.Equal([At(Newest).Id, At(Newest.AddDays(-1)).Id], Kept(plan));
    }
}
