using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Tests.Deployment;
using Recurring.Daemon.Tests.Kafka;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The daemon on a stream that is not Criteo's: a shop's JSON events with their own named features (counts, a share,
/// a standardized score; integer ids, string categories, a list of string tags), offline history in JSON lines, then
/// the same kind of events from Kafka with Kafka:Format=json.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class YourOwnFeaturesTests(KafkaClusterFixture kafka, ITestOutputHelper output)
{
    private const int HistoryEvents = 30_000;
    private const int HeldOutEvents = 5_000;
    private const int StreamedEvents = 6_000;

    /// <summary>
    /// How far below the teacher's own AUC the model may stay, as docs/features.md ("Synthetic data for your schema")
    /// documents for this teacher and event count: 0.029 to 0.061 measured offline.
    /// </summary>
    private const double BayesAucTolerance = 0.07;

    private static readonly (string Key, string Value)[] ShopFeatures =
    [
        ("Features:Label", "clicked"),
        ("Features:Dense:0:Name", "price"), ("Features:Dense:0:Transform", "log1p"),
        ("Features:Dense:1:Name", "discount"),
        ("Features:Dense:2:Name", "score"), ("Features:Dense:2:Transform", "standardize"),
        ("Features:Dense:3:Name", "views"), ("Features:Dense:3:Transform", "log1p"),
        ("Features:Sparse:0:Name", "user_id"), ("Features:Sparse:0:Rows", "2000"),
        ("Features:Sparse:1:Name", "item_id"), ("Features:Sparse:1:Rows", "1000"),
        ("Features:Sparse:2:Name", "category"), ("Features:Sparse:2:Rows", "200"),
        ("Features:Sparse:3:Name", "device"), ("Features:Sparse:3:Rows", "20"),
        ("Features:Sparse:4:Name", "country"), ("Features:Sparse:4:Rows", "100"),
        ("Features:Sparse:5:Name", "tags"), ("Features:Sparse:5:Rows", "500"), ("Features:Sparse:5:Multi", "true"),
        ("Features:Sparse:5:MaxValues", "8"), ("Features:Sparse:5:Pooling", "mean"),
    ];

    /// <summary>A teacher a few seconds of training can nearly match (the Core learning test's): two embedding crosses, its signal on each feature's 20 most popular values.</summary>
    private static readonly (string Key, string Value)[] QuickTeacher =
    [
        ("Synthetic:Seed", "5"), ("Synthetic:CrossPairCount", "2"), ("Synthetic:EffectHalfRank", "20"), ("Synthetic:CalibrationSampleSize", "20000"),
    ];

    [Fact]
    public async Task AJsonLinesHistoryOfItsOwnSchemaTrainsOfflineAndItsJsonStreamGoesOnLearning()
    {
        using var setup = new DaemonSetup(kafka);
        foreach (var (key, value) in ShopFeatures.Concat(QuickTeacher)) setup.With(key, value);
        setup.With("Model:BottomLayers:0", "4")
            .With("Model:EmbeddingDim", "8").With("Model:BottomLayers:4", "8")
            .With("Training:BatchSize", "256")
            .With("Training:Optimizer:MlpLearningRate", "0.03").With("Training:Optimizer:EmbeddingLearningRate", "0.1")
            .With("Offline:Data", Path.Combine(setup.Folder, "history.jsonl"))
            .With("Offline:EvalData", Path.Combine(setup.Folder, "next-day.jsonl"))
            .With("Offline:EvalEvents", $"{HeldOutEvents}")
            .With("Offline:EvaluateEverySteps", "1000")
            .With("Checkpoints:EveryEvents", "100000")
            .With("Streaming:MetricsWindowEvents", $"{StreamedEvents}")
            .With("Kafka:Format", "json");
        // The schema and teacher the test writes events with, bound as the daemon binds them.
        var settings = RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(ShopFeatures.Concat(QuickTeacher).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());
        var teacher = new SyntheticClickGenerator(settings.Synthetic, settings.Schema);
        WriteJsonLines(teacher, Path.Combine(setup.Folder, "history.jsonl"), 0, HistoryEvents);
        var heldOutBayes = WriteJsonLines(teacher, Path.Combine(setup.Folder, "next-day.jsonl"), HistoryEvents, HeldOutEvents);

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        double offlineAuc = daemon.Current.Offline.EvalAuc!.Value;

        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        using var encoder = new ClickEventEncoder(KafkaEventFormat.Json, settings.Schema);
        var e = new ClickEvent(settings.Schema);
        var messages = new List<(byte[]? Key, byte[] Value)>(StreamedEvents);
        var probabilities = new float[StreamedEvents];
        var labels = new float[StreamedEvents];
        for (int i = 0; i < StreamedEvents; i++)
        {
            long index = HistoryEvents + HeldOutEvents + i;
            probabilities[i] = (float)teacher.Generate(index, e);
            labels[i] = e.Label ? 1 : 0;
            messages.Add((ClickEventEncoder.EventIndexKey(index), encoder.Encode(e)));
        }
        await topic.ProduceAsync(messages);
        var streamed = await daemon.WaitUntilTrainedAsync(StreamedEvents);
        // The final checkpoint's metrics are of a window (Streaming:MetricsWindowEvents) holding exactly the streamed events.
        await daemon.StopAsync();
        double progressiveAuc = (await Checkpoints.ListAsync(setup))[^1].Manifest!.Metrics["progressive.auc"];
        var streamedBayes = ClickMetrics.Compute(probabilities, labels).Auc;

        output.WriteLine($"offline: held-out AUC {offlineAuc:F4}, teacher {heldOutBayes:F4}; stream: progressive AUC {progressiveAuc:F4}, teacher {streamedBayes:F4}");
        Assert.Equal(StreamedEvents, streamed.Streaming.EventsTrained);
        Assert.DoesNotContain(streamed.Streaming.DeadLettered, kind => kind.Value > 0);
        Assert.True(offlineAuc > 0.7 && heldOutBayes - offlineAuc < BayesAucTolerance,
            $"offline held-out AUC {offlineAuc:F4} against the teacher's {heldOutBayes:F4}");
        Assert.True(progressiveAuc > 0.7 && streamedBayes - progressiveAuc < BayesAucTolerance,
            $"progressive AUC {progressiveAuc:F4} against the teacher's {streamedBayes:F4}");
    }

    [Fact]
    public async Task ValuesBeyondAListsMaxValuesAreDroppedAndCountedAndTheEventIsTrained()
    {
        using var setup = new DaemonSetup(kafka);
        setup.With("Features:Label", "clicked")
            .With("Features:Dense:0:Name", "price")
            .With("Features:Sparse:0:Name", "tags").With("Features:Sparse:0:Multi", "true").With("Features:Sparse:0:MaxValues", "4")
            .With("Model:BottomLayers:0", "1")
            .With("Kafka:Format", "json");
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        var tags = string.Join(',', Enumerable.Range(0, 10).Select(i => $"\"t{i}\""));
        var message = Encoding.UTF8.GetBytes($"{{\"clicked\": 1, \"price\": 2.5, \"tags\": [{tags}]}}");

        await topic.ProduceAsync(Enumerable.Repeat<(byte[]?, byte[])>((null, message), 50).ToList());
        var streamed = await daemon.WaitUntilTrainedAsync(50);

        Assert.Equal(50 * 6, streamed.Streaming.ValuesDropped);
        Assert.DoesNotContain(streamed.Streaming.DeadLettered, kind => kind.Value > 0);
    }

    [Fact]
    public void TheReadmesQuickStartConfigurationIsValidAndItsSampleEventParses()
    {
        string example = Path.Combine(RepositoryLayout.Root, "docs", "examples", "shop.json");
        var blocks = JsonBlocks(File.ReadAllText(Path.Combine(RepositoryLayout.Root, "README.md")), "### Your own Kafka, your own features");
        var configuration = new ConfigurationBuilder().AddRecurringSources("Production", ["--config", example]).Build();
        var errors = new StringWriter();

        var settings = RecurringSettings.TryLoad(configuration, errors);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(example)), JsonNode.Parse(blocks[0])), "the README shows another configuration than docs/examples/shop.json");
        Assert.True(settings is not null, errors.ToString());
        Assert.Equal(["price", "discount", "score", "views"], settings.Schema.Dense.Select(d => d.Name));
        var e = new ClickEvent(settings.Schema);
        Assert.True(new JsonEventParser(settings.Schema).TryParse(Encoding.UTF8.GetBytes(blocks[1]), e, out var kind, out var reason), $"{kind}: {reason}");
        Assert.Equal(2, e.CountOf(settings.Schema.IndexOfSparse("tags")));
    }

    /// <summary>The ```json blocks of a markdown section, in order.</summary>
    private static List<string> JsonBlocks(string markdown, string heading)
    {
        int start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{heading}' in the README");
        int end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal) is var h and >= 0 ? h : markdown.Length;
        var blocks = new List<string>();
        for (int at = markdown.IndexOf("```json\n", start, end - start, StringComparison.Ordinal); at >= 0;
             at = markdown.IndexOf("```json\n", at + 1, end - at - 1, StringComparison.Ordinal))
        {
            int body = at + "```json\n".Length;
            blocks.Add(markdown[body..markdown.IndexOf("```", body, StringComparison.Ordinal)]);
        }
        return blocks;
    }

    /// <summary>Events first .. first + count - 1 as JSON lines; returns the teacher's AUC on them.</summary>
    private static double WriteJsonLines(SyntheticClickGenerator teacher, string path, long first, int count)
    {
        var e = new ClickEvent(teacher.Schema);
        var probabilities = new float[count];
        var labels = new float[count];
        using (var writer = new JsonLinesEventWriter(File.Create(path)))
        {
            for (int i = 0; i < count; i++)
            {
                probabilities[i] = (float)teacher.Generate(first + i, e);
                labels[i] = e.Label ? 1 : 0;
                writer.Write(e);
            }
        }
        return ClickMetrics.Compute(probabilities, labels).Auc;
    }
}
