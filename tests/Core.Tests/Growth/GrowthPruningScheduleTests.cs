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
        Assert.StartsWith("FinalDenseSteps", error.Message);
    }

    [Fact]
    public void TrainingTooShortForOneCycleTrainsDenseAndSaysWhyInOneLine()
    {
        var schedule = GrowthPruningSchedule.Create(Short, 44);
        Assert.Equal(AmgpMode.Dense, schedule.Options.Mode);
        Assert.Equal(new[] { (44L, false) }, schedule.Phases.Select(p => (p.Steps, p.Pruned)));
        Assert.Contains("45 steps", schedule.Notice);
        Assert.DoesNotContain('\n', schedule.Notice!);
    }

    [Fact]
    public void AScheduleThatFitsHasNoNotice()
    {
        Assert.Null(GrowthPruningSchedule.Create(Short, 100).Notice);
    }

    [Theory]
    [InlineData(25)]    // 50,000 events at batch 2,048
    [InlineData(98)]    // 50,000 events at batch 512, the default
    [InlineData(1_172)] // 600,000 events
    [InlineData(9_766)] // 5,000,000 events
    public void TheDefaultScheduleFitsRunsOfAnyLengthAndEndsDense(long steps)
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions(), steps);
        Assert.Null(schedule.Notice);
        Assert.Contains(schedule.Phases, p => p.Pruned);
        Assert.False(schedule.Phases[^1].Pruned);
        Assert.Equal(steps, schedule.Phases[^1].EndStep);
    }

    [Fact]
    public void FractionsThatFillTheRunExactlyGiveOneCycleWhateverTheRounding()
    {
        // 0.07 + 0.63 + 0.30 = 1: at 1,465 steps (3,000,000 events) the rounded phases, 103 + 923 + 440, are one step too many.
        var oneCycle = new AmgpOptions { WarmupFraction = 0.07, PrunedFraction = 0.63, FinalDenseFraction = 0.30 };
        for (long steps = 2; steps <= 5_000; steps++)
        {
            var schedule = GrowthPruningSchedule.Create(oneCycle, steps);
            Assert.True(schedule.Notice is null, $"{steps} steps: {schedule.Notice}");
            Assert.Single(schedule.Phases, p => p.Pruned);
            Assert.False(schedule.Phases[^1].Pruned);
            Assert.Equal(steps, schedule.Phases[^1].EndStep);
        }
    }

    [Fact]
    public void TheDefaultScheduleScalesWithTheRun()
    {
        var shortRun = GrowthPruningSchedule.Create(new AmgpOptions(), 1_000);
        var longRun = GrowthPruningSchedule.Create(new AmgpOptions(), 10_000);
        Assert.Equal(shortRun.Phases.Count, longRun.Phases.Count);
        Assert.Equal(10.0 * shortRun.PrunedSteps, longRun.PrunedSteps, tolerance: 10);
    }

    [Fact]
    public void ASingleStepRunTrainsDenseWithTheDefaultSchedule()
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions(), 1);
        Assert.Equal(AmgpMode.Dense, schedule.Options.Mode);
        Assert.NotNull(schedule.Notice);
    }

    [Fact]
    public void AbsoluteStepsReplaceTheirFractionsOnly()
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions { WarmupSteps = 7, WarmupFraction = 0.5 }, 1_000);
        Assert.Equal(7, schedule.Phases[0].Steps);
        Assert.Equal(Math.Round(new AmgpOptions().PrunedFraction * 1_000), schedule.Phases[1].Steps);
    }

    [Fact]
    public void PruneOnlyTooShortForItsWarmupTrainsDense()
    {
        var schedule = GrowthPruningSchedule.Create(Short with { Mode = AmgpMode.PruneOnly }, 10);
        Assert.Equal(AmgpMode.Dense, schedule.Options.Mode);
        Assert.Contains("warm-up", schedule.Notice);
    }

    [Theory]
    [InlineData(nameof(AmgpOptions.PrunedFraction), 0.0)]
    [InlineData(nameof(AmgpOptions.DenseFraction), 1.0)]
    [InlineData(nameof(AmgpOptions.FinalDenseFraction), -0.1)]
    [InlineData(nameof(AmgpOptions.WarmupFraction), 1.0)]
    [InlineData(nameof(AmgpOptions.RegenerateFraction), 1.0)]
    [InlineData(nameof(AmgpOptions.RegrownWarmupFraction), -0.01)]
    public void AFractionOutsideItsRangeIsRejectedByName(string property, double value)
    {
        var options = property switch
        {
            nameof(AmgpOptions.PrunedFraction) => new AmgpOptions { PrunedFraction = value },
            nameof(AmgpOptions.DenseFraction) => new AmgpOptions { DenseFraction = value },
            nameof(AmgpOptions.FinalDenseFraction) => new AmgpOptions { FinalDenseFraction = value },
            nameof(AmgpOptions.RegenerateFraction) => new AmgpOptions { RegenerateFraction = value },
            nameof(AmgpOptions.RegrownWarmupFraction) => new AmgpOptions { RegrownWarmupFraction = value },
            _ => new AmgpOptions { WarmupFraction = value },
        };
        Assert.StartsWith($"{property} must lie", options.Validate()[0]);
    }

    [Fact]
    public void FractionsThatLeaveNoRoomForOneCycleAreRejected()
    {
        var error = Assert.Single(new AmgpOptions { WarmupFraction = 0.5, PrunedFraction = 0.4, FinalDenseFraction = 0.2 }.Validate());
        Assert.Equal("WarmupFraction + PrunedFraction + FinalDenseFraction must be at most 1 for one cycle to fit, not 1.1.", error);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.PositiveInfinity)]
    public void APrunedLearningRateScaleThatIsNotPositiveAndFiniteIsRejectedByName(double value)
    {
        var error = Assert.Single(new AmgpOptions { PrunedLearningRateScale = value }.Validate());
        Assert.StartsWith("PrunedLearningRateScale must be positive", error);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void ANegativeOrUndefinedRegrownOutgoingScaleIsRejectedByName(double value)
    {
        var error = Assert.Single(new AmgpOptions { RegrownOutgoingScale = value }.Validate());
        Assert.StartsWith("RegrownOutgoingScale must be 0 (zero outgoing weights) or positive", error);
    }

    [Fact]
    public void RegenerationIsRejectedWithRestoreRegrowth()
    {
        var error = Assert.Single(new AmgpOptions { RegenerateFraction = 0.25, Regrowth = Regrowth.Restore }.Validate());
        Assert.StartsWith("RegenerateFraction needs Regrowth fresh", error);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void APerMlpKeepFractionOutsideZeroToOneIsRejectedByName(double value)
    {
        var error = Assert.Single(new AmgpOptions { TopKeepFraction = value }.Validate());
        Assert.StartsWith("TopKeepFraction must lie in (0, 1]", error);
    }

    [Fact]
    public void PerMlpKeepFractionsOverrideTheSharedOne()
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions { KeepFraction = 0.5, TopKeepFraction = 0.25 }, 1_000);
        Assert.Equal(256, schedule.PrunedWidth(bottom: true, 512));
        Assert.Equal(128, schedule.PrunedWidth(bottom: false, 512));
    }

    [Fact]
    public void WithNoKeepFractionSetTheBottomMlpKeepsThreeQuartersAndTheTopAThirdAndABit()
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions(), 1_000);
        Assert.Equal(384, schedule.PrunedWidth(bottom: true, 512));
        Assert.Equal(179, schedule.PrunedWidth(bottom: false, 512));
    }

    [Fact]
    public void TheSharedKeepFractionAloneSetsEveryLayer()
    {
        var schedule = GrowthPruningSchedule.Create(new AmgpOptions { KeepFraction = 0.5 }, 1_000);
        Assert.Equal(256, schedule.PrunedWidth(bottom: true, 512));
        Assert.Equal(256, schedule.PrunedWidth(bottom: false, 512));
    }

    [Fact]
    public void StatisticsCriteriaNeedAtLeastOneStepToGatherOver()
    {
        var error = Assert.Single(new AmgpOptions { Importance = ImportanceCriterion.Taylor, ImportanceSteps = 0 }.Validate());
        Assert.StartsWith("ImportanceSteps must be at least 1", error);
    }

    [Fact]
    public void StatisticsAreGatheredOnlyInTheLastStepsBeforeAPrune()
    {
        var schedule = GrowthPruningSchedule.Create(Short, totalSteps: 100); // first prune at step 10
        Assert.False(schedule.PruneWithin(4, 5));
        Assert.True(schedule.PruneWithin(5, 5));
        Assert.True(schedule.PruneWithin(9, 5));
        Assert.False(schedule.PruneWithin(12, 5)); // pruned phase
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
        Assert.StartsWith("KeepFraction", error.Message);
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
