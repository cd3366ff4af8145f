using System.Text.Json.Nodes;
using Recurring.Checkpointing.Tests.Support;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

/// <summary>manifest.json carries the SHA-256 of its own content, so a damaged figure in it is caught like a damaged tensor.</summary>
public class ManifestIntegrityTests
{
    private static Task<(string Older, string Newer)> TwoCheckpointsWithOffsets(string directory) =>
        Checkpoints.TwoAsync(directory, new DataPositions([], [new StreamPosition("clicks", 0, 123_456)]));

    private static string ManifestPath(string directory, string id) => Path.Combine(directory, id, CheckpointFiles.Manifest);

    private static void FlipOffsetDigit(string manifestPath)
    {
        var text = File.ReadAllText(manifestPath);
        Assert.Contains("123456", text);
        File.WriteAllText(manifestPath, text.Replace("123456", "123457"));
    }

    [Fact]
    public async Task AFlippedDigitInAStoredOffsetFailsVerification()
    {
        using var directory = new TemporaryDirectory();
        var (_, newer) = await TwoCheckpointsWithOffsets(directory.Path);
        FlipOffsetDigit(ManifestPath(directory.Path, newer));

        var status = await Checkpoints.Manager(directory.Path).VerifyAsync(newer, CancellationToken.None);

        Assert.False(status.IsValid);
        Assert.Contains("manifest.json does not match its SHA-256", status.Problem);
    }

    [Fact]
    public async Task RestoreSkipsACheckpointWhoseManifestWasAlteredAndFallsBackToThePreviousOne()
    {
        using var directory = new TemporaryDirectory();
        var (older, newer) = await TwoCheckpointsWithOffsets(directory.Path);
        FlipOffsetDigit(ManifestPath(directory.Path, newer));
        var manager = Checkpoints.Manager(directory.Path);

        using var restored = await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(older, restored!.Manifest.Id);
        Assert.Equal(123_456, restored.Manifest.Positions.Kafka.Single().NextOffset);
        Assert.Equal(1, manager.SkippedCheckpoints);
    }

    [Fact]
    public async Task ReformattingTheManifestKeepsItValid()
    {
        using var directory = new TemporaryDirectory();
        var (_, newer) = await TwoCheckpointsWithOffsets(directory.Path);
        var path = ManifestPath(directory.Path, newer);
        File.WriteAllText(path, JsonNode.Parse(File.ReadAllText(path))!.ToJsonString());

        var status = await Checkpoints.Manager(directory.Path).VerifyAsync(newer, CancellationToken.None);

        Assert.True(status.IsValid, status.Problem);
    }

    [Fact]
    public async Task AManifestOfTheCurrentFormatWithoutItsDigestIsRefused()
    {
        using var directory = new TemporaryDirectory();
        var (_, newer) = await TwoCheckpointsWithOffsets(directory.Path);
        var path = ManifestPath(directory.Path, newer);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(manifest.Remove("manifestSha256"));
        File.WriteAllText(path, manifest.ToJsonString());

        var status = await Checkpoints.Manager(directory.Path).VerifyAsync(newer, CancellationToken.None);

        Assert.Contains("no manifestSha256", status.Problem);
    }

    /// <summary>What version 1 wrote: no digest, no sequence, the id without a sequence (listed in order, never restored).</summary>
    internal static string LegacyCopy(string directory, string id, string legacyId)
    {
        var target = Path.Combine(directory, legacyId);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(directory, id))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var path = ManifestPath(directory, legacyId);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        manifest.Remove("manifestSha256");
        manifest.Remove("sequence");
        manifest["formatVersion"] = 1;
        manifest["id"] = legacyId;
        File.WriteAllText(path, manifest.ToJsonString());
        return legacyId;
    }
}
