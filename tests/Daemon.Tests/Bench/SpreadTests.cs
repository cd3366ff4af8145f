using Recurring.Daemon.Bench;

namespace Recurring.Daemon.Tests.Bench;

public sealed class SpreadTests
{
    [Fact]
    public void ASignedFigureKeepsItsSignAndItsDeviationHasNone()
    {
        Assert.Equal("-0.0013 ± 0.0029", new Spread(-0.0013, 0.0029).Format("+0.0000;-0.0000"));
        Assert.Equal("+0.0021 ± 0.0004", new Spread(0.0021, 0.0004).Format("+0.0000;-0.0000"));
    }

    [Fact]
    public void OneSeedShowsTheMeanAlone() => Assert.Equal("0.6588", new Spread(0.6588, 0).Format("F4"));
}
