namespace Recurring.Checkpointing;

/// <param name="KeepLast">The newest checkpoints kept.</param>
/// <param name="KeepDailyDays">Days (UTC, counted back from the newest checkpoint's day) whose newest checkpoint is kept.</param>
public sealed record RetentionRule(int KeepLast, int KeepDailyDays);

public sealed record RetentionCandidate(string Id, DateTime CreatedUtc, bool Pinned);

/// <param name="Reason">Why it is kept, or why not.</param>
public sealed record RetentionDecision(string Id, DateTime CreatedUtc, bool Keep, string Reason);

/// <summary>Decisions newest first.</summary>
public sealed record RetentionPlan(IReadOnlyList<RetentionDecision> Decisions)
{
    /// <summary>Oldest first, so an interrupted prune has removed the least valuable ones.</summary>
    public IReadOnlyList<string> Deletions => Decisions.Where(d => !d.Keep).Reverse().Select(d => d.Id).ToArray();
}

/// <summary>
/// Which checkpoints to keep: the last N, the newest of each of the last D days, every pinned one, and - since
/// deleting is only safe once something newer is known to be usable - the newest valid one and anything newer.
/// Without a valid checkpoint nothing is deleted. The rule reads names and pins only, not contents.
/// </summary>
public static class RetentionPolicy
{
    public static RetentionPlan Plan(IEnumerable<RetentionCandidate> candidates, string? newestValid, RetentionRule rule)
    {
        // By write order, not by the time in the name: a clock that once ran ahead must not make a checkpoint look newest.
        var newestFirst = candidates.OrderBy(c => c.Id, CheckpointId.NewestFirst).ToList();
        if (newestFirst.Count == 0) return new RetentionPlan([]);
        int validIndex = newestValid is null ? -1 : newestFirst.FindIndex(c => c.Id == newestValid);
        var newestDay = newestFirst[0].CreatedUtc.Date;
        var daysSeen = new HashSet<DateTime>();
        var decisions = new List<RetentionDecision>();
        for (int i = 0; i < newestFirst.Count; i++)
        {
            var candidate = newestFirst[i];
            var day = candidate.CreatedUtc.Date;
            bool newestOfItsDay = daysSeen.Add(day);
            var reasons = new List<string>();
            if (candidate.Pinned) reasons.Add("pinned");
            if (validIndex < 0) reasons.Add("no verified checkpoint to fall back on");
            else if (i < validIndex) reasons.Add("newer than the newest valid checkpoint");
            else if (i == validIndex) reasons.Add("newest valid");
            if (i < rule.KeepLast) reasons.Add($"one of the last {rule.KeepLast}");
            // A day after the newest checkpoint's day is a clock that ran ahead, not a day to keep.
            int daysBack = (newestDay - day).Days;
            if (newestOfItsDay && daysBack >= 0 && daysBack < rule.KeepDailyDays) reasons.Add($"newest of {day:yyyy-MM-dd}");
            decisions.Add(reasons.Count > 0
                ? new RetentionDecision(candidate.Id, candidate.CreatedUtc, Keep: true, string.Join(", ", reasons))
                : new RetentionDecision(candidate.Id, candidate.CreatedUtc, Keep: false, "outside the retention rule"));
        }
        return new RetentionPlan(decisions);
    }
}
