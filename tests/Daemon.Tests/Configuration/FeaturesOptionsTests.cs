using System.Text;
using Microsoft.Extensions.Configuration;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Configuration;

public class FeaturesOptionsTests
{
    /// <summary>The issue's example, as an operator writes it by hand in a --config file.</summary>
    private const string ShopConfiguration = """
        {
          "Model": { "RowsPerTable": 5000 },
          "Features": {
            "Preset": "",
            "Label": "clicked",
            "Dense":  [ { "Name": "price", "Transform": "log1p" }, { "Name": "hour" }, { "Name": "score", "Transform": "standardize" } ],
            "Sparse": [ { "Name": "user_id", "Rows": 200000 }, { "Name": "item_id" },
                        { "Name": "tags", "Multi": true, "MaxValues": 16, "Pooling": "mean" } ]
          }
        }
        """;

    private static (RecurringSettings Settings, string Errors) Load(string json, params string[] overrides)
    {
        using var directory = new TemporaryDirectory();
        var file = Path.Combine(directory.Path, "shop.json");
        File.WriteAllText(file, json);
        var errors = new StringWriter();
        var settings = RecurringSettings.TryLoad(RecurringConfiguration.Build([RecurringConfiguration.ConfigFileOption, file, .. overrides]), errors);
        return (settings!, errors.ToString());
    }

    [Fact]
    public void WithoutAFeaturesSectionTheCriteoPresetApplies()
    {
        var settings = RecurringSettings.TryLoad(RecurringConfiguration.Build(["--Model:RowsPerTable=300"]), TextWriter.Null)!;

        Assert.Equal(FeatureSchema.Criteo(300), settings.Schema);
    }

    [Fact]
    public void AConfigFileGivesTheSchemaInTheIssuesShapeWithRowsDefaultingToModelRowsPerTable()
    {
        var settings = RecurringSettings.Bind(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(ShopConfiguration))).Build());

        Assert.Equal(new FeatureSchema("clicked",
            [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour"), new DenseFeature("score", DenseTransform.Standardize)],
            [new SparseFeature("user_id", 200_000), new SparseFeature("item_id", 5000), new SparseFeature("tags", 5000, Multi: true, MaxValues: 16, Pooling.Mean)]),
            settings.Schema);
        Assert.Equal([3, 512, 256, 64, 16], settings.ToDlrmConfig().BottomLayers);
    }

    [Fact]
    public void CommandLineOverridesWinOverTheConfigFile()
    {
        var (settings, _) = Load(CriteoLayout, "--Model:RowsPerTable=7000", "--Features:Sparse:0:Rows=9");

        Assert.Equal([9, .. Enumerable.Repeat(7000, 25)], settings.Schema.Sparse.Select(s => s.Rows));
    }

    /// <summary>Criteo's layout under other names, the first table sized apart.</summary>
    private static readonly string CriteoLayout = $$"""
        {
          "Model": { "RowsPerTable": 5000 },
          "Features": {
            "Label": "clicked",
            "Dense": [ {{string.Join(", ", Enumerable.Range(0, 13).Select(i => $$"""{ "Name": "count{{i}}", "Transform": "log1p" }"""))}} ],
            "Sparse": [ {{string.Join(", ", Enumerable.Range(0, 26).Select(j => $$"""{ "Name": "id{{j}}" }"""))}} ]
          }
        }
        """;

    [Fact]
    public void ASchemaWithCriteosLayoutUnderOtherNamesReadsCriteoTsv()
    {
        var (settings, errors) = Load(CriteoLayout);

        Assert.Equal("", errors);
        Assert.Equal("clicked", settings.Schema.Label);
        Assert.True(settings.Schema.HasCriteoLayout);
    }

    [Fact]
    public void AnotherLayoutIsRefusedWhileKafkaEventsAreCriteoTsv()
    {
        var (settings, errors) = Load(ShopConfiguration);

        Assert.Null(settings);
        Assert.Contains("configuration error: Kafka:Format is criteo-tsv, whose lines hold 13 dense then 26 single-valued sparse features, " +
                        "but Features declares 3 dense and 3 sparse features (1 multi-valued): set Kafka:Format=json.", errors);
    }

    [Fact]
    public void AnotherLayoutOverJsonEventsIsAccepted()
    {
        using var directory = new TemporaryDirectory();
        string data = Path.Combine(directory.Path, "history.parquet");
        File.WriteAllText(data, "");

        var (settings, errors) = Load(ShopConfiguration, "--Kafka:Format=json", $"--Offline:Data={data}");

        Assert.Equal("", errors);
        Assert.Equal(3, settings.Schema.Dense.Count);
    }

    [Fact]
    public void AnotherLayoutIsRefusedForCriteoTsvOfflineFiles()
    {
        using var directory = new TemporaryDirectory();
        string data = Path.Combine(directory.Path, "history.tsv");
        File.WriteAllText(data, "");

        var (settings, errors) = Load(ShopConfiguration, "--Kafka:Format=json", $"--Offline:Data={data}");

        Assert.Null(settings);
        Assert.Equal($"configuration error: Offline:Data '{data}' is Criteo TSV, whose lines hold 13 dense then 26 single-valued sparse features, " +
                     "but Features declares 3 dense and 3 sparse features (1 multi-valued): write the events as .jsonl or .parquet.", errors.TrimEnd());
    }

    [Fact]
    public void CriteosLayoutReadsJsonEventsToo()
    {
        var (settings, errors) = Load(CriteoLayout, "--Kafka:Format=json");

        Assert.Equal("", errors);
        Assert.Equal(KafkaEventFormat.Json, settings.Kafka.Format);
    }

    [Fact]
    public void AnUnknownKafkaFormatIsOneLineNamingTheKeyAndTheFormats()
    {
        var (settings, errors) = Load(CriteoLayout, "--Kafka:Format=xml");

        Assert.Null(settings);
        var line = Assert.Single(errors.TrimEnd().Split(Environment.NewLine));
        Assert.Contains("'Kafka:Format'", line);
        Assert.Contains("criteo-tsv, json", line);
    }

    [Fact]
    public void AMissingConfigFileIsOneClearError()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => RecurringConfiguration.Build([RecurringConfiguration.ConfigFileOption, "/nonexistent/shop.json"]));

        Assert.Equal("--config /nonexistent/shop.json: there is no such file.", missing.Message);
    }

    [Theory]
    [InlineData("""{ "Features": { "Preset": "movielens" } }""", "configuration error: Features:Preset must be 'criteo' or empty")]
    [InlineData("""{ "Features": { "Preset": "criteo", "Label": "clicked" } }""", "configuration error: Features:Preset 'criteo' fixes the schema")]
    [InlineData("""{ "Features": { "Dense": [ { "Name": "price", "Transform": "log" } ], "Sparse": [ { "Name": "user_id" } ] } }""",
        "configuration error: Features:Dense[0].Transform must be none, log1p or standardize, not 'log'.")]
    [InlineData("""{ "Features": { "Dense": [ { "Name": "price" } ], "Sparse": [ { "Name": "tags", "Multi": true, "Pooling": "max" } ] } }""",
        "configuration error: Features:Sparse[0].Pooling must be sum or mean, not 'max'.")]
    [InlineData("""{ "Features": { "Dense": [ { "Name": "price" } ], "Sparse": [ { "Name": "user_id", "MaxValues": 4 } ] } }""",
        "configuration error: Features:Sparse[0] ('user_id') sets MaxValues or Pooling but is not Multi")]
    [InlineData("""{ "Features": { "Dense": [ { "Name": "price" } ], "Sparse": [ { "Name": "price", "Rows": 1 } ] } }""",
        "configuration error: Features:Sparse[0].Name 'price' is already the name of Dense[0].Name.")]
    [InlineData("""{ "Features": { "Label": "clicked", "Dense": [ { "Name": "price" } ] } }""",
        "configuration error: Features:Sparse must list at least one feature")]
    public void EachProblemIsOneLineNamingItsKey(string json, string expected)
    {
        var (settings, errors) = Load(json);

        Assert.Null(settings);
        Assert.StartsWith(expected, errors.Split(Environment.NewLine)[0]);
    }
}
