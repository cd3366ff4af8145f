using Recurring.Core.Growth;

namespace Recurring.Core.Tests.Growth;

public class GrowthPruningScheduleTests
{
    private static readonly AmgpOptions Short = new() { WarmupSteps = 10, PrunedSteps = 20, DenseSteps = 5, FinalDenseSteps = 15, KeepFraction = 0.5 };

    [Fact]
    public void AmgpAlternatesAndEndsWithALongEnoughDensePhase()
    {
        var schedule = GrowthPruningSchedule.Create(Short, totalSteps: 100);
        var layout = schedule.Phases.Select(p => (p.Steps, p.Pruned)).ToArray();
        // 10 warm-up, then 20 pruned / 5 dense cycles; three fit before a final dense phase of >= 15.
        Assert.Equal(new[] { (10L, false), (20L, true), (5L, false), (20L, true), (5L, false), (20L, true), (20L, false) }, layout);
        Assert.Equal(60, schedule.PrunedSteps);
    }

    [Fact]
    public void AScheduleThatDoesNotEndDenseIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => GrowthPruningSchedule.Create(Short with { FinalDenseSteps = 0 }, 100));
        Assert.Contains("Offline:Amgp:FinalDenseSteps", error.Message);
    }

    [Fact]
    public void TrainingTooShortForOneCycleIsRejectedWithTheNeededSteps()
    {
        var error = Assert.Throws<ArgumentException>(() => GrowthPruningSchedule.Create(Short, 44));
        Assert.Contains("45 steps", error.Message);
    }

    [Fact]
    public void PruneOnlyPrunesOnceAndStaysPruned()
    {
        var schedule = GrowthPruningSchedule.Create(Short with { Mode = AmgpMode.PruneOnly }, 100);
        Assert.Equal(new[] { (10L, false), (90L, true) }, schedule.Phases.Select(p => (p.Steps, p.Pruned)));
    }

    [Fact]
    public void DenseModeNeverPrunes()
    {
        var schedule = GrowthPruningSchedule.Create(Short with { Mode = AmgpMode.Dense }, 100);
        Assert.Single(schedule.Phases);
        Assert.Equal(0, schedule.PrunedSteps);
    }

    [Fact]
    public void KeepFractionOutsideZeroToOneIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => GrowthPruningSchedule.Create(Short with { KeepFraction = 1.0 }, 100));
        Assert.Contains("Offline:Amgp:KeepFraction", error.Message);
    }

    [Fact]
    public void GroupLassoRunsOnlyInDensePhasesThatPrecedeAPrune()
    {
        var schedule = GrowthPruningSchedule.Create(Short, totalSteps: 100);
        Assert.True(schedule.PruneFollows(0));     // warm-up
        Assert.False(schedule.PruneFollows(15));   // pruned
        Assert.True(schedule.PruneFollows(32));    // dense between cycles
        Assert.False(schedule.PruneFollows(90));   // final dense
    }
}
