using Recurring.Core.Data.Synthetic;

namespace Recurring.Core.Tests.Data.Synthetic;

public class CounterHashTests
{
    [Fact]
    public void UnitIntervalExcludesZeroAndIncludesOne()
    {
        Assert.True(CounterHash.ToUnitInterval(0) > 0);
        Assert.Equal(1.0, CounterHash.ToUnitInterval(ulong.MaxValue));
    }

    [Fact]
    public void ApproximateGaussiansHaveZeroMeanAndUnitVariance()
    {
        const int count = 200_000;
        double sum = 0;
        double sumOfSquares = 0;
        for (ulong i = 0; i < count; i++)
        {
            double value = CounterHash.GaussianAt(key: 12345, i);
            sum += value;
            sumOfSquares += value * value;
        }

        double mean = sum / count;
        double variance = sumOfSquares / count - mean * mean;
        // Four standard errors: 1/√n for the mean, √(2/n) for the variance of a normal sample.
        Assert.InRange(mean, -4 / Math.Sqrt(count), 4 / Math.Sqrt(count));
        Assert.InRange(variance, 1 - 4 * Math.Sqrt(2.0 / count), 1 + 4 * Math.Sqrt(2.0 / count));
    }

    [Fact]
    public void DerivedKeysDifferForNeighbouringValues()
    {
        var children = Enumerable.Range(0, 10_000).Select(value => CounterHash.Derive(7, (ulong)value)).ToHashSet();

        Assert.Equal(10_000, children.Count);
    }
}
