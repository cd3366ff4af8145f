using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Cli;
using Recurring.Daemon.Offline;
using Recurring.Daemon.Tests.Deployment;
using Recurring.Daemon.Tests.Reliability;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Serving;

/// <summary>
/// What python/tests/test_parity.py compares the Python package with: checkpoints trained here, the events they were
/// scored on, and the trainer's own outputs for those events. One folder per schema:
/// <list type="bullet">
/// <item><c>criteo/</c>: the Criteo preset; <c>events.tsv</c> (synthetic lines, then edge cases and malformed lines),
/// <c>checkpoints/</c>, and what `recurring evaluate --predictions --json` (the real command, in its own process)
/// wrote: <c>predictions.tsv</c> and <c>evaluate.json</c>.</item>
/// <item><c>multi/</c>: a schema of every kind (log1p, a default, standardized; integer, string, huge unsigned ids;
/// sum- and mean-pooled lists, some longer than MaxValues, some empty); <c>events.jsonl</c> (JSON events, which the
/// trainer reads with its own <see cref="JsonEventParser"/>),
/// <c>checkpoints/</c>, <c>predictions.tsv</c> and <c>evaluate.json</c> from `recurring evaluate` on the .jsonl file as
/// for Criteo, and <c>features.json</c> (the trainer's batch of those events: dense, rows, bag rows and offsets); then two deltas after the checkpoint
/// and <c>full/</c>, a full checkpoint of the trainer's state at the second delta.</item>
/// </list>
/// </summary>
internal static class ParityFixtures
{
    private const long Seed = 5;

    /// <summary>Lines the trainer's parser must treat exactly as the Python one does.</summary>
    private static readonly string[] CriteoEdgeLines =
    [
        Criteo("1", ["0", "-3", "1.5", "2e3", "1E-2", "+7", "123456789012345", "0.", ".5"], ["68fd1e64", "FFFFFFFFFFFFFFFF", "78dde6e5fd29f054", "0", "A"]),
        Criteo("0", [], []),
        Criteo("1", ["4"], ["deadbeef"]) + "\r",
        "",
        "garbage",
        Criteo("2", [], []),
        Criteo("1", ["1e400"], []),
        Criteo("1", ["0x10"], []),
        Criteo("1", [], ["12345678901234567"]),
        Criteo("0", [" 1"], []),
        Criteo("0", ["1,5"], []),
        string.Join('\t', Enumerable.Repeat("1", 39)),
        Criteo("0", ["9"], ["abc"]),
    ];

    public static async Task WriteCriteoAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        string data = Path.Combine(folder, "events.tsv"), checkpoints = Path.Combine(folder, "checkpoints");
        var generator = new SyntheticClickGenerator(new SyntheticDataOptions());
        var record = new CriteoRecord();
        using (var writer = new CriteoTsvWriter(File.Create(data)))
        {
            for (int i = 0; i < 1500; i++)
            {
                generator.Generate(i, record);
                writer.Write(record);
            }
        }
        await File.AppendAllTextAsync(data, string.Join('\n', CriteoEdgeLines));

        var config = new DlrmConfig { Features = FeatureSchema.Criteo(rowsPerTable: 3000), EmbeddingDim = 8, BottomLayers = [13, 16, 8], TopHidden = [16] };
        using var model = new DlrmModel(config, CPU, Seed);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var batch = new FeatureBatch(config.Features, 32);
        var e = new ClickEvent(config.Features);
        using (var source = new EventFileSource(config.Features, EventFiles.FromPath(data, config.Features)))
        {
            while (batch.Refill(source, model.Encoder, e) > 0) trainer.TrainStep(batch);
        }
        await SaveAsync(trainer, checkpoints);

        await EvaluateAsync(folder, checkpoints, data);
    }

    /// <summary>`recurring evaluate --predictions --json`, the real command in its own process: predictions.tsv and evaluate.json.</summary>
    private static async Task EvaluateAsync(string folder, string checkpoints, string data)
    {
        var evaluation = ExternalCommand.Run(DotnetHost(),
            [DaemonProcess.Executable, "evaluate", "--model", checkpoints, "--data", data, "--predictions", Path.Combine(folder, "predictions.tsv"), "--json"],
            TimeSpan.FromMinutes(2));
        if (evaluation.ExitCode != 0) throw new InvalidOperationException($"recurring evaluate failed: {evaluation.Transcript}");
        await File.WriteAllTextAsync(Path.Combine(folder, "evaluate.json"), evaluation.StandardOutput.TrimEnd().Split('\n')[^1]);
    }

    public static async Task WriteMultiValuedAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        var schema = new FeatureSchema("clicked",
            [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour", Default: 12), new DenseFeature("score", DenseTransform.Standardize)],
            [new SparseFeature("user_id", 300), new SparseFeature("country", 40), new SparseFeature("tags", 200, Multi: true, MaxValues: 4),
             new SparseFeature("item_id", 500), new SparseFeature("topics", 100, Multi: true, MaxValues: 3, Pooling.Mean)]);
        var lines = RandomEvents(800, new Random(11)).Select(JsonLine).ToList();
        await File.WriteAllLinesAsync(Path.Combine(folder, "events.jsonl"), lines);

        var statistics = FeatureStatistics.Measure(schema, new JsonLinesSource(schema, lines));
        var config = new DlrmConfig { Features = schema, EmbeddingDim = 4, BottomLayers = [3, 8, 4], TopHidden = [8] };
        using var model = new DlrmModel(config, CPU, Seed, statistics);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var batch = new FeatureBatch(schema, 50);
        var e = new ClickEvent(schema);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var source = new JsonLinesSource(schema, lines);
            while (batch.Refill(source, model.Encoder, e) > 0) trainer.TrainStep(batch);
        }
        await SaveAsync(trainer, Path.Combine(folder, "checkpoints"));

        var all = new FeatureBatch(schema, lines.Count);
        all.Refill(new JsonLinesSource(schema, lines), model.Encoder, e);
        await EvaluateAsync(folder, Path.Combine(folder, "checkpoints"), Path.Combine(folder, "events.jsonl"));
        await File.WriteAllTextAsync(Path.Combine(folder, "features.json"), JsonSerializer.Serialize(new
        {
            dense = all.Dense.Take(all.Count * all.DenseWidth),
            rows = all.Rows.Take(all.Count * all.SingleWidth),
            bagRows = all.BagRows.Take(all.BagValueCount),
            bagOffsets = all.BagOffsets.Take(all.Count * all.MultiWidth + 1),
        }));
        await WriteDeltasAsync(trainer, folder, () => new JsonLinesSource(schema, lines));
    }

    /// <summary>
    /// Two deltas after the newest checkpoint of <c>checkpoints/</c>, each after more training, and in <c>full/</c> a
    /// full checkpoint of the trainer's state at the second: base + deltas must be it, bit for bit.
    /// </summary>
    private static async Task WriteDeltasAsync(DlrmTrainer trainer, string folder, Func<IClickEventSource> events)
    {
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Path.Combine(folder, "checkpoints") });
        var chainBase = (await manager.ListAsync(hashContents: false, CancellationToken.None))[0].Manifest!;
        var rowWise = trainer.EmbeddingOptimizer!;
        rowWise.TrackTouchedRows();
        var batch = new FeatureBatch(trainer.Model.Config.Features, 40);
        var e = new ClickEvent(trainer.Model.Config.Features);
        var source = events();
        string previous = chainBase.Id;
        for (int index = 1; index <= 2; index++)
        {
            for (int step = 0; step < 3 && batch.Refill(source, trainer.Model.Encoder, e) > 0; step++) trainer.TrainStep(batch);
            previous = (await manager.SaveDeltaAsync(new DeltaSnapshot(trainer, chainBase, index, previous), CancellationToken.None)).Id;
            rowWise.ClearTouchedRows();
        }
        await SaveAsync(trainer, Path.Combine(folder, "full"));
    }

    private static async Task SaveAsync(DlrmTrainer trainer, string directory) =>
        await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory })
            .SaveAsync(new TrainingSnapshot(trainer, new CheckpointStage(TrainingStage.OfflineFinal), Seed), pin: false, CancellationToken.None);

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string Criteo(string label, string[] dense, string[] categorical) =>
        string.Join('\t', [label, .. Pad(dense, CriteoRecord.DenseCount), .. Pad(categorical, CriteoRecord.CategoricalCount)]);

    private static IEnumerable<string> Pad(string[] values, int count) => values.Concat(Enumerable.Repeat("", count - values.Length));

    private static readonly string[] Countries = ["DE", "de", "FR", "日本", "café", "😀", "", "a\"b\\c"];
    private static readonly object[] Tags = ["sports", "Sports", "", "news", "DE", 42L, -1L, ulong.MaxValue - 7];

    /// <summary>JSON-shaped events: field name to null-free values, lists for multi-valued features; some fields absent.</summary>
    private static List<Dictionary<string, object>> RandomEvents(int count, Random random)
    {
        var events = new List<Dictionary<string, object>>();
        for (int n = 0; n < count; n++)
        {
            var e = new Dictionary<string, object>();
            if (random.NextDouble() < 0.7) e["price"] = Math.Round(random.NextDouble() * 1000 - 5, random.Next(0, 6));
            if (random.NextDouble() < 0.8) e["hour"] = (long)random.Next(24);
            if (random.NextDouble() < 0.9) e["score"] = random.NextDouble() * 10 - 3;
            if (random.NextDouble() < 0.9) e["user_id"] = random.Next(4) == 0 ? $"u{random.Next(100)}" : (object)(long)random.Next(-1000, 1000);
            if (random.NextDouble() < 0.9) e["country"] = Countries[random.Next(Countries.Length)];
            if (random.NextDouble() < 0.9) e["tags"] = Enumerable.Range(0, random.Next(7)).Select(_ => Tags[random.Next(Tags.Length)]).ToList();
            if (random.NextDouble() < 0.9) e["item_id"] = random.Next(3) == 0 ? ulong.MaxValue - (ulong)random.Next(1000) : (object)(long)random.Next(1 << 20);
            if (random.NextDouble() < 0.9) e["topics"] = Enumerable.Range(0, random.Next(5)).Select(_ => (object)$"t{random.Next(30)}").ToList();
            double affinity = (e.GetValueOrDefault("country") as string == "DE" ? 1.5 : 0) + (e.ContainsKey("price") ? -0.5 : 0.5) + random.NextDouble() - 1;
            e["clicked"] = affinity > 0 ? 1L : 0L;
            events.Add(e);
        }
        return events;
    }

    private static string JsonLine(Dictionary<string, object> e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in e)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case long l: writer.WriteNumberValue(l); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case double d: writer.WriteNumberValue(d); break;
            case string s: writer.WriteStringValue(s); break;
            case List<object> list:
                writer.WriteStartArray();
                foreach (var item in list) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: throw new ArgumentException($"No JSON for {value.GetType()}.");
        }
    }

    /// <summary>The JSON lines read by the trainer's own JSON parser, which must read them as Python's json and featurize do.</summary>
    private sealed class JsonLinesSource(FeatureSchema schema, IReadOnlyList<string> lines) : IClickEventSource
    {
        private readonly JsonEventParser _parser = new(schema);
        private int _next;

        public bool TryRead(ClickEvent into, out double trueProbability)
        {
            trueProbability = double.NaN;
            if (_next == lines.Count) return false;
            var line = lines[_next++];
            if (!_parser.TryParse(System.Text.Encoding.UTF8.GetBytes(line), into, out var kind, out var reason))
                throw new InvalidDataException($"events.jsonl line {_next}: {kind}: {reason}");
            return true;
        }
    }
}
