using Microsoft.Extensions.Configuration;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Configuration;

public sealed class LivePageOptionsTests
{
    private static IReadOnlyList<string> Problems(params (string Key, string Value)[] values) =>
        RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build()).Validate();

    [Fact]
    public void TheSeriesIntervalAndCapacityHaveUsableDefaults()
    {
        Assert.Empty(Problems());
    }

    [Fact]
    public void ASeriesIntervalBelowFiftyMillisecondsIsRefusedNamingTheKey()
    {
        Assert.Equal(["Admin:SeriesIntervalSeconds must be at least 0.05, not 0."], Problems(("Admin:SeriesIntervalSeconds", "0")));
    }

    [Fact]
    public void AnEmptyRingIsRefusedNamingTheKey()
    {
        Assert.Equal(["Admin:SeriesCapacity must be at least 1, not 0."], Problems(("Admin:SeriesCapacity", "0")));
    }
}
