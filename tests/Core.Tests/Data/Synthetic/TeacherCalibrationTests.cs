using Recurring.Core.Data.Synthetic;

namespace Recurring.Core.Tests.Data.Synthetic;

public class TeacherCalibrationTests
{
    [Fact]
    public void ExpectedAucIsTheChanceThatTheClickedEventOutranksTheOther()
    {
        // Exactly one click: the higher score clicks alone with 0.8 · 0.8, the lower alone with 0.2 · 0.2.
        double expected = 0.8 * 0.8 / (0.8 * 0.8 + 0.2 * 0.2);

        Assert.Equal(expected, TeacherCalibration.ExpectedAuc([1.0, 2.0], [0.2, 0.8]), precision: 12);
    }

    [Fact]
    public void ExpectedAucCountsTiedScoresAsHalf()
    {
        Assert.Equal(0.5, TeacherCalibration.ExpectedAuc([1.0, 1.0, 1.0], [0.2, 0.8, 0.5]), precision: 12);
    }

    [Fact]
    public void CalibratedProbabilitiesHitTheTargetAucAndClickRate()
    {
        double[] scores = Enumerable.Range(0, 10_000).Select(i => CounterHash.GaussianAt(99, (ulong)i)).ToArray();

        var (scale, bias) = TeacherCalibration.Calibrate(scores, targetAuc: 0.75, targetClickRate: 0.1);

        double[] sorted = scores.Order().ToArray();
        double[] probabilities = sorted.Select(score => Logistic.Sigmoid(bias + scale * score)).ToArray();
        Assert.Equal(0.75, TeacherCalibration.ExpectedAuc(sorted, probabilities), precision: 6);
        Assert.Equal(0.1, probabilities.Average(), precision: 9);
    }

    [Fact]
    public void AnAucThatTiedScoresCannotReachIsReported()
    {
        // Half the events share one score and half another: even infinitely far apart, the tied halves cap the AUC.
        double[] scores = Enumerable.Range(0, 2_000).Select(i => (double)(i % 2)).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => TeacherCalibration.Calibrate(scores, targetAuc: 0.95, targetClickRate: 0.25));

        Assert.Contains("0.95", error.Message);
    }
}
