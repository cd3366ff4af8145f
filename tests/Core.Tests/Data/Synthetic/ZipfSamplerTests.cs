using Recurring.Core.Data.Synthetic;

namespace Recurring.Core.Tests.Data.Synthetic;

public class ZipfSamplerTests
{
    private static double[] ExactProbabilities(int cardinality, double exponent)
    {
        double[] weights = Enumerable.Range(1, cardinality).Select(rank => Math.Pow(rank, -exponent)).ToArray();
        double total = weights.Sum();
        return weights.Select(weight => weight / total).ToArray();
    }

    private static int[] Sample(ZipfSampler sampler, int count)
    {
        var random = new CounterRandom(2024);
        return Enumerable.Range(0, count).Select(_ => sampler.Sample(ref random)).ToArray();
    }

    [Theory]
    [InlineData(20, 0.5)]
    [InlineData(20, 1.0)]
    [InlineData(20, 1.15)]
    [InlineData(20, 2.5)]
    [InlineData(3, 0.1)]
    public void RankFrequenciesMatchTheZipfProbabilities(int cardinality, double exponent)
    {
        const int count = 200_000;
        double[] expected = ExactProbabilities(cardinality, exponent);

        int[] ranks = Sample(new ZipfSampler(cardinality, exponent), count);

        Assert.All(ranks, rank => Assert.InRange(rank, 1, cardinality));
        for (int rank = 1; rank <= cardinality; rank++)
        {
            double p = expected[rank - 1];
            double frequency = ranks.Count(sampled => sampled == rank) / (double)count;
            double fiveStandardErrors = 5 * Math.Sqrt(p * (1 - p) / count);
            Assert.InRange(frequency, p - fiveStandardErrors, p + fiveStandardErrors);
        }
    }

    [Fact]
    public void HeadShareOfALargeTableMatchesTheExactDistribution()
    {
        const int count = 200_000;
        const int head = 1_000;
        double[] expected = ExactProbabilities(2_000_000, 1.15);
        double expectedHeadShare = expected.Take(head).Sum();

        int[] ranks = Sample(new ZipfSampler(2_000_000, 1.15), count);

        double headShare = ranks.Count(rank => rank <= head) / (double)count;
        double fiveStandardErrors = 5 * Math.Sqrt(expectedHeadShare * (1 - expectedHeadShare) / count);
        Assert.InRange(headShare, expectedHeadShare - fiveStandardErrors, expectedHeadShare + fiveStandardErrors);
    }

    [Fact]
    public void ASingleValueTableAlwaysGivesRankOne()
    {
        Assert.All(Sample(new ZipfSampler(1, 1.15), 1_000), rank => Assert.Equal(1, rank));
    }
}
