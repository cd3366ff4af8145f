using Recurring.Core.Metrics;

namespace Recurring.Core.Tests.Metrics;

public class BinaryMetricsTests
{
    [Fact]
    public void AucIsTheFractionOfCorrectlyOrderedClickPairs()
    {
        // Clicks at 0.35 and 0.8 against non-clicks at 0.1 and 0.4: three of the four pairs are ordered correctly.
        Assert.Equal(0.75, BinaryMetrics.Auc([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]));
    }

    [Fact]
    public void AucCountsScoresTiedAcrossClassesAsHalf()
    {
        // Click 0.5 beats 0.2 and ties 0.5 (½); click 0.9 beats both: 3.5 of 4 pairs.
        Assert.Equal(3.5 / 4, BinaryMetrics.Auc([0.2f, 0.5f, 0.5f, 0.9f], [0, 0, 1, 1]));
    }

    [Fact]
    public void AucOfIdenticalScoresIsOneHalf()
    {
        Assert.Equal(0.5, BinaryMetrics.Auc([0.3f, 0.3f, 0.3f, 0.3f, 0.3f], [1, 0, 0, 1, 0]));
    }

    [Fact]
    public void AucDoesNotDependOnTheOrderOfEvents()
    {
        Assert.Equal(BinaryMetrics.Auc([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), BinaryMetrics.Auc([0.8f, 0.35f, 0.1f, 0.4f], [1, 1, 0, 0]));
    }

    [Fact]
    public void AucIsUndefinedWithOnlyOneClass()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1f, 0.9f], [1, 1])));
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1f, 0.9f], [0, 0])));
    }

    [Fact]
    public void LogLossIsTheMeanNegativeLogLikelihood()
    {
        double expected = -(Math.Log(0.9) + Math.Log(1 - 0.2) + Math.Log(0.4)) / 3;

        Assert.Equal(expected, BinaryMetrics.LogLoss([0.9f, 0.2f, 0.4f], [1, 0, 1]), precision: 6);
    }

    [Fact]
    public void LogLossOfACertainMistakeIsCappedByTheProbabilityFloor()
    {
        Assert.Equal(-Math.Log(BinaryMetrics.ProbabilityFloor), BinaryMetrics.LogLoss([0f], [1]), precision: 9);
        Assert.Equal(-Math.Log(BinaryMetrics.ProbabilityFloor), BinaryMetrics.LogLoss([1f], [0]), precision: 9);
    }

    [Fact]
    public void ClickRateIsTheFractionOfClicks()
    {
        Assert.Equal(0.4, BinaryMetrics.ClickRate([1, 0, 0, 1, 0]));
    }

    [Fact]
    public void BinaryEntropyOfAFairCoinIsLnTwoAndOfACertaintyIsZero()
    {
        Assert.Equal(Math.Log(2), BinaryMetrics.BinaryEntropy(0.5), precision: 12);
        Assert.Equal(0, BinaryMetrics.BinaryEntropy(0));
        Assert.Equal(0, BinaryMetrics.BinaryEntropy(1));
    }

    [Fact]
    public void PredictingTheBaseRateHasNormalizedEntropyOne()
    {
        float[] labels = [1, 0, 0, 0];
        float[] baseRate = [0.25f, 0.25f, 0.25f, 0.25f];

        double logLoss = BinaryMetrics.LogLoss(baseRate, labels);

        Assert.Equal(1, BinaryMetrics.NormalizedEntropy(logLoss, BinaryMetrics.ClickRate(labels)), precision: 6);
    }

    [Fact]
    public void NormalizedEntropyIsUndefinedWithoutBothClasses()
    {
        Assert.True(double.IsNaN(BinaryMetrics.NormalizedEntropy(0.1, clickRate: 0)));
    }

    [Fact]
    public void LabelsOtherThanZeroOrOneAreRejected()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0.1f, 0.2f], [0, 0.5f]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([0.1f], [2]));
    }

    [Fact]
    public void ScoresAndLabelsMustHaveTheSameLength()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0.1f, 0.2f], [0]));
    }

    [Fact]
    public void NaNScoresAreRejected()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([float.NaN, 0.2f], [0, 1]));
    }
}
