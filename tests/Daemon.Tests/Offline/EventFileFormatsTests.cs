using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Offline;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Offline;

public class EventFileFormatsTests
{
    private static readonly FeatureSchema Criteo = FeatureSchema.Criteo(1000);
    private static readonly SyntheticClickGenerator Teacher = new(new SyntheticDataOptions { Seed = 11, CalibrationSampleSize = 2_000 });

    [Fact]
    public async Task TheSameEventsAsTsvJsonLinesAndParquetTrainBitIdenticalModels()
    {
        using var directory = new TemporaryDirectory();
        var models = new List<Dictionary<string, float[]>>();
        foreach (var format in new[] { EventFileFormat.CriteoTsv, EventFileFormat.JsonLines, EventFileFormat.Parquet })
        {
            string data = WriteEvents(directory.Path, format, 1_500);
            using var setup = Setup(data);
            await setup.CreateTrainer().RunAsync(setup.Source, null, CancellationToken.None);
            models.Add(setup.Model.NamedTensors().ToDictionary(t => t.Name, t => t.Value.cpu().data<float>().ToArray()));
        }

        Assert.NotEmpty(models[0]);
        foreach (var other in models.Skip(1))
        {
            Assert.Equal(models[0].Keys, other.Keys);
            Assert.All(models[0], tensor => Assert.True(tensor.Value.AsSpan().SequenceEqual(other[tensor.Key]), $"{tensor.Key} differs"));
        }
    }

    [Fact]
    public void AnUnknownExtensionIsRefusedListingTheChoices()
    {
        using var directory = new TemporaryDirectory();
        string path = Path.Combine(directory.Path, "events.csv");
        File.WriteAllText(path, "");

        var error = Assert.Throws<ArgumentException>(() => EventFiles.FromPath(path, Criteo));

        Assert.Equal($"'{path}' is not an event file this reads: its name must end in .tsv (Criteo layout), .jsonl (one JSON event per line) or .parquet.", error.Message);
    }

    [Fact]
    public void TsvUnderASchemaOfAnotherLayoutIsRefusedInOneLine()
    {
        using var directory = new TemporaryDirectory();
        string path = WriteEvents(directory.Path, EventFileFormat.CriteoTsv, 3);
        var schema = new FeatureSchema("clicked", [new DenseFeature("price")], [new SparseFeature("tags", 100, Multi: true)]);

        var error = Assert.Throws<ArgumentException>(() => EventFiles.FromPath(path, schema));

        Assert.StartsWith($"'{path}' is Criteo TSV, which only fills a schema with Criteo's layout", error.Message);
        Assert.EndsWith("but the schema has 1 dense and 1 sparse features: write the events as .jsonl or .parquet.", error.Message);
    }

    [Fact]
    public void AFolderIsItsFilesInNameOrderLeavingOutHiddenAndUnderscoreFiles()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(Path.Combine(directory.Path, "part-1.jsonl"), "");
        File.WriteAllText(Path.Combine(directory.Path, "part-0.jsonl"), "");
        File.WriteAllText(Path.Combine(directory.Path, "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(directory.Path, ".part-0.jsonl.crc"), "");

        var files = EventFiles.FromPath(directory.Path, Criteo);

        Assert.Equal(["part-0.jsonl", "part-1.jsonl"], files.Select(f => Path.GetFileName(f.Name)));
        Assert.All(files, f => Assert.Equal(EventFileFormat.JsonLines, f.Format));
    }

    [Fact]
    public void AFolderMixingFormatsIsRefused()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(Path.Combine(directory.Path, "a.jsonl"), "");
        File.WriteAllText(Path.Combine(directory.Path, "b.tsv"), "");

        var error = Assert.Throws<ArgumentException>(() => EventFiles.FromPath(directory.Path, Criteo));

        Assert.Equal($"The folder '{directory.Path}' mixes formats: a.jsonl and b.tsv; keep the files of one format in a folder.", error.Message);
    }

    private static string WriteEvents(string directory, EventFileFormat format, int count)
    {
        string path = Path.Combine(directory, "history" + format switch
        {
            EventFileFormat.CriteoTsv => ".tsv",
            EventFileFormat.JsonLines => ".jsonl",
            _ => ".parquet",
        });
        var source = new SyntheticEventSource(Teacher, 0, count);
        var e = new ClickEvent(Criteo);
        using var writer = EventFileWriter.Create(format, () => File.Create(path), Criteo);
        while (source.TryRead(e, out _)) writer.Write(e);
        return path;
    }

    private static OfflineSetup Setup(string data)
    {
        var settings = OfflineSetupTests.Bind(("Training:BatchSize", "128"), ("Training:Seed", "3"), ("Offline:Data", data));
        Assert.Empty(settings.Validate());
        return OfflineSetup.Create(settings, CPU);
    }
}
