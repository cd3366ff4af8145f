using Recurring.Core.Metrics;

namespace Recurring.Core.Tests.Metrics;

public class ClickMetricsTests
{
    private static readonly float[] Probabilities = [0.1f, 0.4f, 0.35f, 0.8f];
    private static readonly float[] Labels = [0, 0, 1, 1];

    [Fact]
    public void ComputeGathersEveryMetricOfTheSameEvents()
    {
        var metrics = ClickMetrics.Compute(Probabilities, Labels);

        double logLoss = BinaryMetrics.LogLoss(Probabilities, Labels);
        Assert.Equal(new ClickMetrics(4, 0.5, 0.75, logLoss, logLoss / Math.Log(2), Probabilities.Average(p => (double)p)), metrics);
    }

    [Fact]
    public void CalibrationComparesTheMeanPredictionWithTheClickRate()
    {
        float[] overconfident = [0.9f, 0.9f, 0.8f, 0.8f];

        var metrics = ClickMetrics.Compute(overconfident, Labels);

        Assert.Equal(0.85, metrics.MeanPrediction, precision: 6);
        Assert.Equal(0.5, metrics.ClickRate);
    }

    [Fact]
    public void BayesComparisonMeasuresHowFarTheModelIsFromTheTruth()
    {
        float[] modelProbabilities = [0.3f, 0.3f, 0.3f, 0.3f];

        var comparison = BayesComparison.Compute(modelProbabilities, Probabilities, Labels);

        Assert.Equal(0.75 - 0.5, comparison.AucGap, precision: 12);
        Assert.Equal(BinaryMetrics.LogLoss(modelProbabilities, Labels) - BinaryMetrics.LogLoss(Probabilities, Labels), comparison.LogLossRegret, precision: 12);
    }
}
