using System.Text;
using System.Text.Json.Nodes;
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
            EmbeddingDim = 4,
            RowsPerTable = [10, 11],
            BottomLayers = [13, 8, 4],
            TopHidden = [6, 5],
            CurrentWidths = new MlpWidths([13, 5, 4], [355, 6, 3, 1]),
        },
        Optimizer = new OptimizerOptions(),
        Counters = new CheckpointCounters { Steps = 12345, Samples = 99, Other = new Dictionary<string, long> { ["eventsConsumed"] = 7 } },
        Phase = new CheckpointPhase(PhaseKind.OfflineFinal, AmgpPhaseIndex: 3, AmgpMode: "amgp"),
        Seed = 1,
        Positions = new DataPositions([new FilePosition("/data/day0.tsv", 4096, 51)], [new KafkaPosition("clicks", 2, 1000)]),
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
        Assert.Equal(1, (int)json["formatVersion"]!);
        Assert.Equal("offline-final", (string)json["phase"]!["kind"]!);
        Assert.Equal("row-wise-adagrad", (string)json["optimizer"]!["embeddingUpdate"]!);
        Assert.Equal(3, json["model"]!["currentWidths"]!["top"]!.AsArray().Count - 1);
        Assert.Equal(1000, (long)json["positions"]!["kafka"]![0]!["nextOffset"]!);
    }

    [Fact]
    public async Task EveryFieldSurvivesTheRoundTrip()
    {
        var original = Manifest();
        var parsed = await Parse(await Json(original));
        Assert.Equal(await Json(original), await Json(parsed));
    }

    [Fact]
    public async Task NewerFormatVersionIsRefusedWithAClearMessage()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!;
        json["formatVersion"] = 2;
        var error = await Assert.ThrowsAsync<CheckpointException>(() => Parse(json.ToJsonString()));
        Assert.Contains("format version 2 is newer than this build of recurring reads (1)", error.Message);
    }

    [Fact]
    public async Task MissingRequiredFieldMakesTheManifestInvalid()
    {
        var json = JsonNode.Parse(await Json(Manifest()))!.AsObject();
        json.Remove("files");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Parse(json.ToJsonString()));
        Assert.Contains("files", error.Message);
    }
}
