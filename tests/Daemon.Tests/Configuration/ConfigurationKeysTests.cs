using Microsoft.Extensions.Configuration;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Tests.Configuration;

public sealed class ConfigurationKeysTests
{
    private static IReadOnlyList<string> UnknownKeyProblems(params (string Key, string Value)[] values) =>
        ConfigurationKeys.Recurring.UnknownKeyProblems(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    private sealed class SampleOptions
    {
        public int Count { get; set; }
        public string Name { get; init; } = "";
        public SampleRetry Retry { get; set; } = new();
        public SampleRetry Fixed { get; } = new();
        public int[]? Widths { get; set; }
        public List<SampleRetry> Stages { get; set; } = [];
        public Dictionary<string, string> Properties { get; set; } = [];
        public bool Derived => Count > 0;
        public static int Shared { get; set; }
    }

    private sealed class SampleRetry
    {
        public int Attempts { get; set; }
    }

    [Fact]
    public void KnownKeysComeFromTheBindablePropertiesOfTheOptionsClasses()
    {
        var keys = new ConfigurationKeys([("Sample", typeof(SampleOptions))], ["Free"]);

        Assert.Equal(
            ["Free", "Sample:Count", "Sample:Fixed:Attempts", "Sample:Name", "Sample:Properties", "Sample:Retry:Attempts", "Sample:Stages:#:Attempts", "Sample:Widths:#"],
            keys.Known.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Sample:Widths:3")]
    [InlineData("Sample:Stages:0:Attempts")]
    [InlineData("Sample:Properties:ssl.ca.location")]
    [InlineData("Free:Anything:At:All")]
    [InlineData("sample:retry:ATTEMPTS")]
    public void ListItemsMapEntriesFreeSectionsAndAnyCaseAreKnown(string key) =>
        Assert.True(new ConfigurationKeys([("Sample", typeof(SampleOptions))], ["Free"]).IsKnown(key));

    [Theory]
    [InlineData("Sample:Derived")]
    [InlineData("Sample:Shared")]
    [InlineData("Sample:Widths:first")]
    [InlineData("Sample:Count:Extra")]
    [InlineData("Other:Count")]
    public void ComputedAndStaticPropertiesNonNumericIndexesAndUnknownSectionsAreNot(string key) =>
        Assert.False(new ConfigurationKeys([("Sample", typeof(SampleOptions))], ["Free"]).IsKnown(key));

    [Fact]
    public void EveryKeyOfTheShippedAppsettingsIsKnown() =>
        Assert.Empty(ConfigurationKeys.Recurring.UnknownKeyProblems(RecurringConfiguration.Build()));

    [Fact]
    public void AMistypedSectionNamesTheKeyAndTheClosestKnownOne() =>
        Assert.Equal("unknown key Trainign:BatchSize (did you mean Training:BatchSize?)", Assert.Single(UnknownKeyProblems(("Trainign:BatchSize", "5"))));

    [Fact]
    public void AMistypedListKeepsItsIndexInTheSuggestion() =>
        Assert.Equal("unknown key Model:BottomLayer:2 (did you mean Model:BottomLayers:2?)", Assert.Single(UnknownKeyProblems(("Model:BottomLayer:2", "8"))));

    [Theory]
    [InlineData("Kafka:Propertis:sasl.password", "Kafka:Properties:sasl.password")]
    [InlineData("Serilg:MinimumLevel:Default", "Serilog:MinimumLevel:Default")]
    public void AMistypedFreeFormMapKeepsItsEntryInTheSuggestion(string typed, string meant) =>
        Assert.Equal($"unknown key {typed} (did you mean {meant}?)", Assert.Single(UnknownKeyProblems((typed, "x"))));

    [Fact]
    public void AKeyLikeNoKnownOneIsNamedWithoutAGuess() =>
        Assert.Equal("unknown key Completely:Different.", Assert.Single(UnknownKeyProblems(("Completely:Different", "1"))));

    [Fact]
    public void KafkaPropertiesSerilogAndLoggingStayFreeForm() =>
        Assert.Empty(UnknownKeyProblems(
            ("Kafka:Properties:security.protocol", "SASL_SSL"),
            ("Serilog:WriteTo:0:Name", "File"),
            ("Logging:LogLevel:Default", "Debug")));

    [Fact]
    public void EachUnknownKeyIsOneLineEvenWhenTwoSourcesSetIt()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Trainign:BatchSize", "5"), new("Trainign:Seed", "2")])
            .AddInMemoryCollection([new("trainign:batchsize", "6")])
            .Build();

        Assert.Equal(2, ConfigurationKeys.Recurring.UnknownKeyProblems(configuration).Count);
    }

    [Fact]
    public void EnvironmentVariablesOutsideTheRecurringPrefixAreNotJudged()
    {
        var variable = $"DOTNET_NotOurs{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "1");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables("DOTNET_").AddRecurringSources("Production", []).Build();
            Assert.Empty(ConfigurationKeys.Recurring.UnknownKeyProblems(configuration));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void AnUnknownOverrideBuildsNoDaemonAndIsTheOnlyLine()
    {
        var errors = new StringWriter();

        Assert.Null(DaemonHost.TryBuild(["--Trainign:BatchSize=5"], errors));

        Assert.Equal("configuration error: unknown key Trainign:BatchSize (did you mean Training:BatchSize?)", errors.ToString().Trim());
    }
}
