using Microsoft.Extensions.Configuration;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Growth;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Offline;

public class OfflineSetupTests
{
    private static readonly SyntheticClickGenerator Teacher = new(new SyntheticDataOptions { Seed = 5, CalibrationSampleSize = 2_000 });

    private static string WriteEvents(string directory, string name, int count, long first = 0)
    {
        string path = Path.Combine(directory, name);
        using var writer = new CriteoTsvWriter(File.Create(path));
        var record = new CriteoRecord();
        for (long i = first; i < first + count; i++)
        {
            Teacher.Generate(i, record);
            writer.Write(record);
        }
        return path;
    }

    private static OfflineSetup Setup(params (string Key, string Value)[] values)
    {
        var settings = Bind(values);
        Assert.Empty(settings.Validate());
        return OfflineSetup.Create(settings, CPU);
    }

    /// <summary>A small model's settings on the CPU, <paramref name="values"/> layered over them.</summary>
    internal static RecurringSettings Bind(params (string Key, string Value)[] values) =>
        RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Model:RowsPerTable"] = "1000",
                ["Model:EmbeddingDim"] = "4",
                ["Model:BottomLayers:0"] = "13",
                ["Model:BottomLayers:1"] = "16",
                ["Model:BottomLayers:2"] = "4",
                ["Model:TopHidden:0"] = "16",
                ["Training:BatchSize"] = "256",
                ["Training:Device"] = "cpu",
            })
            // Layered over the defaults, so a test may override one of them.
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void TheSyntheticPhaseDrawsEventsOfTheConfiguredSchema()
    {
        // Not validated: whether a source can read this schema is configuration's rule, not the offline phase's.
        var settings = Bind(
            ("Features:Label", "clicked"),
            ("Features:Dense:0:Name", "price"), ("Features:Dense:0:Transform", "log1p"),
            ("Features:Dense:1:Name", "score"), ("Features:Dense:1:Transform", "standardize"),
            ("Features:Sparse:0:Name", "user_id"),
            ("Features:Sparse:1:Name", "tags"), ("Features:Sparse:1:Multi", "true"), ("Features:Sparse:1:MaxValues", "4"),
            ("Model:BottomLayers:0", "2"),
            ("Offline:SyntheticEvents", "2000"), ("Offline:EvalEvents", "500"),
            ("Synthetic:CalibrationSampleSize", "2000"));

        using var setup = OfflineSetup.Create(settings, CPU);

        var e = new ClickEvent(settings.Schema);
        Assert.True(setup.Source.TryRead(e, out double probability));
        Assert.InRange(probability, 0, 1);
        Assert.Equal(500, setup.Evaluation.Count);
        Assert.NotNull(setup.Evaluation.Bayes);
        Assert.Contains("score", setup.Model.Statistics.Dense.Keys);
    }

    [Fact]
    public void AFileHoldsOutOnlyASmallShareAndTheDescriptionCountsBothParts()
    {
        using var directory = new TemporaryDirectory();
        string data = WriteEvents(directory.Path, "history.tsv", 5_000);

        using var setup = Setup(("Offline:Data", data));

        Assert.Equal(100, setup.Evaluation.Count); // 2 % by default
        Assert.Equal(4_900, setup.Options.MaxEvents);
        Assert.Contains("4,900 events train, 100 held out", setup.DataDescription);
    }

    [Fact]
    public void ASeparateEvaluationFileLeavesEveryLineOfTheDataForTraining()
    {
        using var directory = new TemporaryDirectory();
        string data = WriteEvents(directory.Path, "history.tsv", 3_000);
        string eval = WriteEvents(directory.Path, "next-day.tsv", 700, first: 3_000);

        using var setup = Setup(("Offline:Data", data), ("Offline:EvalData", eval));

        Assert.Equal(3_000, setup.Options.MaxEvents);
        Assert.Equal(700, setup.Evaluation.Count);
        Assert.Contains($"3,000 events train, 700 from {eval} held out", setup.DataDescription);
    }

    [Fact]
    public void TheDefaultAmgpScheduleFitsAShortFile()
    {
        using var directory = new TemporaryDirectory();
        string data = WriteEvents(directory.Path, "history.tsv", 5_000);

        using var setup = Setup(("Offline:Data", data));

        Assert.Equal(AmgpMode.Amgp, setup.Schedule.Options.Mode);
        Assert.Null(setup.Schedule.Notice);
        Assert.True(setup.Schedule.PrunedSteps > 0);
        Assert.NotNull(setup.Growth);
    }

    [Fact]
    public void AnEvaluationFractionOutsideZeroToOneNamesTheKey()
    {
        var settings = RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Offline:EvalFraction", "1")]).Build());
        Assert.Equal("Offline:EvalFraction must lie strictly between 0 and 1, not 1.", Assert.Single(settings.Validate()));
    }

    [Fact]
    public void ANewAmgpSettingsErrorNamesTheWholeKey()
    {
        var settings = RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Offline:Amgp:PrunedFraction", "0")]).Build());
        Assert.StartsWith("Offline:Amgp:PrunedFraction must lie strictly between 0 and 1", Assert.Single(settings.Validate()));
    }
}
