using Recurring.Core.Metrics;

namespace Recurring.Core.Tests.Metrics;

public class SlidingWindowMetricsTests
{
    private static SlidingWindowMetrics WindowOfTwoAfterThreeEvents()
    {
        var metrics = new SlidingWindowMetrics(windowSize: 2);
        metrics.Add(0.9f, clicked: true);
        metrics.Add(0.1f, clicked: false);
        metrics.Add(0.1f, clicked: true);
        return metrics;
    }

    [Fact]
    public void TheWindowForgetsEventsOlderThanItsSize()
    {
        var window = WindowOfTwoAfterThreeEvents().Window();

        // Only (0.1, no click) and (0.1, click) remain: tied scores, one click in two.
        Assert.Equal(2, window.Count);
        Assert.Equal(0.5, window.ClickRate);
        Assert.Equal(0.5, window.Auc);
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.1)) / 2, window.LogLoss, precision: 6);
    }

    [Fact]
    public void CumulativeMetricsCoverEveryEventAdded()
    {
        var metrics = WindowOfTwoAfterThreeEvents();

        double logLoss = -(Math.Log(0.9) + Math.Log(0.9) + Math.Log(0.1)) / 3;
        Assert.Equal(3, metrics.TotalCount);
        Assert.Equal(2.0 / 3, metrics.CumulativeClickRate, precision: 12);
        Assert.Equal(logLoss, metrics.CumulativeLogLoss, precision: 6);
        Assert.Equal(logLoss / BinaryMetrics.BinaryEntropy(2.0 / 3), metrics.CumulativeNormalizedEntropy, precision: 6);
    }

    [Fact]
    public void BeforeItFillsTheWindowCoversTheEventsSoFar()
    {
        var metrics = new SlidingWindowMetrics(windowSize: 10);
        metrics.Add(0.2f, clicked: false);
        metrics.Add(0.7f, clicked: true);

        var window = metrics.Window();

        Assert.Equal(2, window.Count);
        Assert.Equal(1, window.Auc);
    }

    [Fact]
    public void AnEmptyWindowHasNoMetrics()
    {
        var window = new SlidingWindowMetrics(windowSize: 10).Window();

        Assert.Equal(0, window.Count);
        Assert.True(double.IsNaN(window.ClickRate));
        Assert.True(double.IsNaN(window.LogLoss));
    }

    [Fact]
    public void AddingAllocatesNothing()
    {
        var metrics = new SlidingWindowMetrics(windowSize: 100);
        metrics.Add(0.5f, clicked: true);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
            metrics.Add(i % 7 / 7f, clicked: i % 3 == 0);

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
