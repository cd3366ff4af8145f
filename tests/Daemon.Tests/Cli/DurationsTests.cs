using Recurring.Daemon.Cli;

namespace Recurring.Daemon.Tests.Cli;

public class DurationsTests
{
    [Theory]
    [InlineData("150", 150)]
    [InlineData("150s", 150)]
    [InlineData("2m", 120)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h30m15s", 5415)]
    [InlineData("0.5s", 0.5)]
    [InlineData("00:03:00", 180)]
    [InlineData("36:00:00", 129600)]
    public void ADurationIsReadInTheUnitsItNames(string text, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.TryParse(text, "--duration", out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("abc", "--duration takes a duration (150s, 2m, 1h30m or hh:mm:ss; a bare number is seconds), not 'abc'.")]
    [InlineData("", "--duration takes a duration")]
    [InlineData("1m2h", "--duration takes a duration")]
    [InlineData("00:61:00", "--duration takes a duration")]
    [InlineData("-5", "--duration must be more than 0 and at most 49 days, not '-5'.")]
    [InlineData("0s", "--duration must be more than 0")]
    [InlineData("50d", "--duration takes a duration")]
    [InlineData("1200h", "--duration must be more than 0 and at most 49 days")]
    [InlineData("99999999999999999999999", "at most 49 days")]
    public void AnythingElseIsOneLineNamingTheOption(string text, string expected)
    {
        Assert.Null(Durations.TryParse(text, "--duration", out var error));
        Assert.StartsWith("--duration ", error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain('\n', error!);
    }
}
