using System.Text.Json.Nodes;
using Recurring.Checkpointing.Tests.Support;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class CorruptionTests
{
    private static Task<(string Older, string Newer)> TwoCheckpoints(string directory) => Checkpoints.TwoAsync(directory);

    private static void Damage(string folder, string damage)
    {
        var model = Path.Combine(folder, CheckpointFiles.Model);
        switch (damage)
        {
            case "flipped byte":
                var bytes = File.ReadAllBytes(model);
                bytes[^5] ^= 0x01;
                File.WriteAllBytes(model, bytes);
                break;
            case "truncated file":
                using (var stream = new FileStream(model, FileMode.Open)) stream.SetLength(stream.Length - 100);
                break;
            case "missing manifest":
                File.Delete(Path.Combine(folder, CheckpointFiles.Manifest));
                break;
            case "missing tensor file":
                File.Delete(Path.Combine(folder, CheckpointFiles.Optimizer));
                break;
        }
    }

    [Theory]
    [InlineData("flipped byte", "SHA-256")]
    [InlineData("truncated file", "truncated")]
    [InlineData("missing manifest", "manifest.json is missing")]
    [InlineData("missing tensor file", "optimizer.safetensors is missing")]
    public async Task DamagedCheckpointIsReportedByVerification(string damage, string complaint)
    {
        using var directory = new TemporaryDirectory();
        var (_, newer) = await TwoCheckpoints(directory.Path);
        Damage(Path.Combine(directory.Path, newer), damage);

        var status = await Checkpoints.Manager(directory.Path).VerifyAsync(newer, CancellationToken.None);

        Assert.False(status.IsValid);
        Assert.Contains(complaint, status.Problem);
    }

    [Theory]
    [InlineData("flipped byte")]
    [InlineData("truncated file")]
    [InlineData("missing manifest")]
    [InlineData("missing tensor file")]
    public async Task RestoreSkipsADamagedCheckpointCountsItAndFallsBackToThePreviousOne(string damage)
    {
        using var directory = new TemporaryDirectory();
        var (older, newer) = await TwoCheckpoints(directory.Path);
        Damage(Path.Combine(directory.Path, newer), damage);
        var manager = Checkpoints.Manager(directory.Path);

        using var restored = await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(older, restored!.Manifest.Id);
        Assert.Equal(1, manager.SkippedCheckpoints);
    }

    [Fact]
    public async Task RestoreRefusesANewerFormatInsteadOfFallingBack()
    {
        using var directory = new TemporaryDirectory();
        var (_, newer) = await TwoCheckpoints(directory.Path);
        var manifestPath = Path.Combine(directory.Path, newer, CheckpointFiles.Manifest);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["formatVersion"] = CheckpointManifest.CurrentFormatVersion + 1;
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        var error = await Assert.ThrowsAsync<CheckpointException>(() =>
            Checkpoints.Manager(directory.Path).RestoreLatestAsync(CPU, accept: null, CancellationToken.None));

        Assert.Contains("upgrade recurring", error.Message);
    }

    [Fact]
    public async Task ManifestCopiedIntoAnotherFolderIsNotTrusted()
    {
        using var directory = new TemporaryDirectory();
        var (older, newer) = await TwoCheckpoints(directory.Path);
        File.Copy(Path.Combine(directory.Path, older, CheckpointFiles.Manifest), Path.Combine(directory.Path, newer, CheckpointFiles.Manifest), overwrite: true);

        var status = await Checkpoints.Manager(directory.Path).VerifyAsync(newer, CancellationToken.None);

        Assert.Contains($"belongs to {older}", status.Problem);
    }

    [Fact]
    public async Task WithEveryCheckpointDamagedNothingIsRestored()
    {
        using var directory = new TemporaryDirectory();
        var (older, newer) = await TwoCheckpoints(directory.Path);
        Damage(Path.Combine(directory.Path, older), "flipped byte");
        Damage(Path.Combine(directory.Path, newer), "missing manifest");
        var manager = Checkpoints.Manager(directory.Path);

        Assert.Null(await manager.RestoreLatestAsync(CPU, accept: null, CancellationToken.None));
        Assert.Equal(2, manager.SkippedCheckpoints);
    }
}
