using Recurring.Core.Training;

namespace Recurring.Core.Tests.Training;

public class MlpRateBoostTests
{
    [Fact]
    public void TheFactorAppliesFromTheFirstFractionUpToTheSecondOfTheRunsSteps()
    {
        var boost = new MlpRateBoost { Factor = 4, FromFraction = 0.1, UntilFraction = 0.9, MinimumRunSteps = 10 };

        var factors = Enumerable.Range(0, 10).Select(step => boost.FactorAt(step, runSteps: 10));

        Assert.Equal(new[] { 1.0, 4, 4, 4, 4, 4, 4, 4, 4, 1 }, factors);
    }

    [Fact]
    public void AFactorOfOneTrainsAtTheConfiguredRateThroughout()
    {
        // MinimumRunSteps 0, so only the factor keeps the rate constant here (the default minimum would on its own).
        var boost = new MlpRateBoost { Factor = 1, MinimumRunSteps = 0 };

        Assert.All(Enumerable.Range(0, 100), step => Assert.Equal(1.0, boost.FactorAt(step, runSteps: 100)));
    }

    [Fact]
    public void ARunShorterThanTheMinimumTrainsAtTheConfiguredRateThroughout()
    {
        var boost = new MlpRateBoost { MinimumRunSteps = 400 };

        Assert.All(Enumerable.Range(0, 399), step => Assert.Equal(1.0, boost.FactorAt(step, runSteps: 399)));
        Assert.Equal(4.0, boost.FactorAt(100, runSteps: 400));
    }

    [Fact]
    public void ANegativeMinimumRunLengthIsRejectedByName()
    {
        var error = Assert.Single(new MlpRateBoost { MinimumRunSteps = -1 }.Validate());
        Assert.StartsWith("MinimumRunSteps must be 0 or more", error);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void AFactorThatIsNotPositiveAndFiniteIsRejectedByName(double factor)
    {
        var error = Assert.Single(new MlpRateBoost { Factor = factor }.Validate());
        Assert.StartsWith("Factor must be positive", error);
    }

    [Theory]
    [InlineData(-0.1, 0.9)]
    [InlineData(0.5, 0.5)]
    [InlineData(0.6, 0.4)]
    [InlineData(0.1, 1.2)]
    public void AWindowThatIsEmptyOrOutsideTheRunIsRejectedByName(double from, double until)
    {
        var error = Assert.Single(new MlpRateBoost { FromFraction = from, UntilFraction = until }.Validate());
        Assert.StartsWith("FromFraction and UntilFraction must satisfy", error);
    }
}
