using Recurring.Core.Training;
using Recurring.Daemon.Cli;

namespace Recurring.Daemon.Tests.Cli;

public sealed class TrainingProgressDisplayTests
{
    [Theory]
    [InlineData(42.4, "42 s")]
    [InlineData(185, "3 min 05 s")]
    [InlineData(3720, "1 h 02 min")]
    public void TheEtaReadsInTheLargestUnitsThatMatter(double seconds, string expected)
    {
        Assert.Equal(expected, Durations.Describe(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void ALineBetweenEvaluationsShowsSamplesRateAndEta()
    {
        var line = TrainingProgressDisplay.Describe(new OfflineAdvance(Step: 117, Samples: 239_616, PlannedSamples: 300_000, SamplesPerSecond: 3_000));

        Assert.Equal("step    117  samples    239,616/300,000     3,000/s  ETA 20 s", line);
    }

    [Fact]
    public void WithoutARateTheEtaIsNotKnown()
    {
        Assert.Equal("n/a", Durations.Describe(new OfflineAdvance(0, 0, 300_000, 0).Eta));
    }
}
