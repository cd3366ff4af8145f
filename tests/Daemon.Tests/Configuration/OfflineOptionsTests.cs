using Recurring.Core.Training;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Configuration;

public class OfflineOptionsTests
{
    [Fact]
    public void TheRateBoostIsDescribedByItsStepsInTheRun()
    {
        Assert.Equal("MLP learning rate x4 from step 82 until step 1,055 (Offline:MlpRateBoost)", new OfflineOptions().DescribeRateBoost(runSteps: 1_172));
    }

    [Fact]
    public void ARunTooShortForTheBoostSaysItsRateIsConstant()
    {
        Assert.Equal("MLP learning rate constant: 98 steps are fewer than Offline:MlpRateBoost:MinimumRunSteps (400)", new OfflineOptions().DescribeRateBoost(runSteps: 98));
    }

    [Fact]
    public void AConstantRateIsNotDescribed()
    {
        Assert.Null(new OfflineOptions { MlpRateBoost = new MlpRateBoost { Factor = 1 } }.DescribeRateBoost(runSteps: 1_172));
    }
}
