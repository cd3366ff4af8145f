using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Recurring.Core.Data;
using Recurring.Core.Training;

namespace Recurring.Checkpointing.Tests;

public class ManifestJsonTests
{
    private static CheckpointManifest Manifest() => new()
    {
        FormatVersion = CheckpointManifest.CurrentFormatVersion,
        Id = "ckpt-20261126T140005.123Z-000000012345",
        CreatedUtc = new DateTime(2026, 11, 26, 14, 0, 5, 123, DateTimeKind.Utc),
        Model = new ModelShape
        {
            Features = new FeatureSchema("clicked",
                [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("score", DenseTransform.Standardize, Default: 0.5)],
                [new SparseFeature("user_id", 10), new SparseFeature("tags", 11, Multi: true, MaxValues: 8, Pooling.Mean)]),
            Statistics = new FeatureStatistics(new Dictionary<string, DenseMoments> { ["score"] = new(1.5, 0.25) }),
            EmbeddingDim = 4,
            BottomLayers = [13, 8, 4],
            TopHidden = [6, 5],
            CurrentWidths = new MlpWidths([13, 5, 4], [355, 6, 3, 1]),
        },
        Optimizer = new OptimizerOptions(),
        Counters = new CheckpointCounters { Steps = 12345, Samples = 99, Other = new Dictionary<string, long> { ["eventsConsumed"] = 7 } },
        Stage = new CheckpointStage(TrainingStage.OfflineFinal, AmgpPhaseIndex: 3, AmgpMode: "amgp"),
        Seed = 1,
        Positions = new DataPositions([new FilePosition("/data/day0.tsv", 4096, 51)], [new StreamPosition("clicks", 2, 1000)]),
        Metrics = new Dictionary<string, double> { ["logLoss"] = 0.44, ["auc"] = double.NaN },
        Files = [new CheckpointFile("model.safetensors", 10, "ab")],
    };

    private static async Task<string> Json(CheckpointManifest manifest)
    {
        using var stream = new MemoryStream();
        await ManifestJson.WriteAsync(stream, manifest, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static Task<CheckpointManifest> Parse(string json) =>
        ManifestJson.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), CancellationToken.None);

    [Fact]
    public async Task NamesAreCamelCaseAndEnumsKebabCase()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!;
        Assert.Equal(CheckpointManifest.CurrentFormatVersion, (int)json["formatVersion"]!);
        Assert.Equal("standardize", (string)json["model"]!["features"]!["dense"]![1]!["transform"]!);
        Assert.Equal("offline-final", (string)json["phase"]!["kind"]!);
        Assert.Equal("row-wise-adagrad", (string)json["optimizer"]!["embeddingUpdate"]!);
        Assert.Equal(3, json["model"]!["currentWidths"]!["top"]!.AsArray().Count - 1);
        Assert.Equal(1000, (long)json["positions"]!["kafka"]![0]!["nextOffset"]!);
    }

    /// <summary>Streaming checkpoints name the cluster and topic of their offsets; manifests without them still verify and read.</summary>
    [Fact]
    public async Task TheKafkaSourceIsWrittenWhenKnownAndLeftOutOtherwise()
    {
        var tagged = Manifest() with { Positions = Manifest().Positions with { KafkaSource = new StreamSource("lkc-2v3x8q", "clicks") } };

        var json = JsonNode.Parse(await Json(tagged))!;
        Assert.Equal("lkc-2v3x8q", (string)json["positions"]!["kafkaSource"]!["clusterId"]!);
        Assert.Equal(new StreamSource("lkc-2v3x8q", "clicks"), (await Parse(await Json(tagged))).Positions.KafkaSource);
        Assert.False(JsonNode.Parse(await Json(Manifest()))!["positions"]!.AsObject().ContainsKey("kafkaSource"));
        Assert.Null((await Parse(await Json(Manifest()))).Positions.KafkaSource);
    }

    [Theory]
    [InlineData("lkc-a", "clicks", "lkc-a", "clicks", true)]
    [InlineData("lkc-a", "clicks", "lkc-b", "clicks", false)]
    [InlineData("lkc-a", "clicks", "lkc-a", "clicks-v2", false)]
    [InlineData("", "clicks", "lkc-b", "clicks", true)] // brokers that report no cluster id: the topic alone decides
    [InlineData("lkc-a", "clicks", "", "clicks-v2", false)]
    public void StreamSourcesMatchOnTheTopicAndOnTheClusterWhereBothKnowIt(string cluster, string topic, string otherCluster, string otherTopic, bool matches)
    {
        Assert.Equal(matches, new StreamSource(cluster, topic).Matches(new StreamSource(otherCluster, otherTopic)));
        Assert.Equal(matches, new StreamSource(otherCluster, otherTopic).Matches(new StreamSource(cluster, topic)));
    }

    [Fact]
    public async Task EveryFieldSurvivesTheRoundTrip()
    {
        var original = Manifest();
        var parsed = await Parse(await Json(original));
        Assert.Equal(await Json(original), await Json(parsed));
    }

    [Fact]
    public async Task TheWrittenDigestIsTheOneReadBack()
    {
        var parsed = await Parse(await Json(Manifest()));
        Assert.Equal(ManifestJson.Seal(Manifest()).ManifestSha256, parsed.ManifestSha256);
        Assert.Matches("^[0-9a-f]{64}$", parsed.ManifestSha256);
    }

    [Fact]
    public async Task NewerFormatVersionIsRefusedWithAClearMessage()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!;
        json["formatVersion"] = CheckpointManifest.CurrentFormatVersion + 1;
        var error = await Assert.ThrowsAsync<CheckpointException>(() => Parse(json.ToJsonString()));
        Assert.Contains($"format version {CheckpointManifest.CurrentFormatVersion + 1} is newer than this build of recurring reads ({CheckpointManifest.CurrentFormatVersion})", error.Message);
    }

    [Fact]
    public async Task AManifestFromBeforeFeatureSchemasIsRefusedAsUnusable()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!;
        json["formatVersion"] = 1;
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Parse(json.ToJsonString()));
        Assert.Contains("format version 1, from before feature schemas", error.Message);
    }

    [Fact]
    public async Task MissingRequiredFieldMakesTheManifestInvalid()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!.AsObject();
        json.Remove("files");
        // Sealed again, so the digest does not fail first.
        json["manifestSha256"] = ManifestJson.DigestOf(JsonDocument.Parse(json.ToJsonString()).RootElement);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Parse(json.ToJsonString()));
        Assert.Contains("files", error.Message);
    }
}
