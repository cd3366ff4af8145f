using Recurring.Core.Data;
using System.CommandLine;
using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Cli;
using Recurring.Daemon.Tests.Reliability;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Cli;

public sealed class AzureBlobCheckpointsCommandTests(AzuriteFixture fixture) : RemoteCheckpointsCommandTests(fixture.Server), IClassFixture<AzuriteFixture>;

public sealed class S3CheckpointsCommandTests(S3rverFixture fixture) : RemoteCheckpointsCommandTests(fixture.Server), IClassFixture<S3rverFixture>;

/// <summary>`recurring checkpoints ... --remote` against a real server of each kind.</summary>
public abstract class RemoteCheckpointsCommandTests(StorageServer server) : IDisposable
{
    private readonly TemporaryDirectory _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task PushListAndPullCarryACheckpointThroughTheStoreOntoAnEmptyFolder()
    {
        var (uri, _) = server.NewContainer();
        var ids = await CheckpointsCommandTests.Saved(_local.Path, 2);
        Assert.Equal(0, (await Run("checkpoints", "push", "--dir", _local.Path, "--remote", uri)).Code);

        var (listed, listOutput, _) = await Run("checkpoints", "list", "--remote", uri, "--json");
        using var empty = new TemporaryDirectory();
        var target = Path.Combine(empty.Path, "restored");
        var (pulled, _, pullError) = await Run("checkpoints", "pull", "--remote", uri, "--id", ids[1], "--dir", target);

        Assert.Equal(0, listed);
        var checkpoints = LastLineJson(listOutput).GetProperty("checkpoints").EnumerateArray().ToArray();
        Assert.Equal([ids[1]], checkpoints.Select(c => c.GetProperty("id").GetString()));
        Assert.True(checkpoints[0].GetProperty("valid").GetBoolean());
        Assert.True(pulled == 0, pullError);
        foreach (var file in new[] { CheckpointFiles.Manifest, CheckpointFiles.Model, CheckpointFiles.Optimizer })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_local.Path, ids[1], file)), File.ReadAllBytes(Path.Combine(target, ids[1], file)));
    }

    [Fact]
    public async Task PinAndPruneWorkOnTheStore()
    {
        var (uri, _) = server.NewContainer();
        var ids = await CheckpointsCommandTests.Saved(_local.Path, 3);
        foreach (var id in ids) Assert.Equal(0, (await Run("checkpoints", "push", "--dir", _local.Path, "--remote", uri, "--id", id)).Code);

        Assert.Equal(0, (await Run("checkpoints", "pin", "--remote", uri, ids[0])).Code);
        var (pruned, output, _) = await Run("checkpoints", "prune", "--remote", uri, "--keep-last", "1", "--keep-days", "0", "--json");
        var (_, listOutput, _) = await Run("checkpoints", "list", "--remote", uri, "--json");

        Assert.Equal(0, pruned);
        Assert.Equal([ids[1]], LastLineJson(output).GetProperty("deleted").EnumerateArray().Select(d => d.GetString()));
        var remaining = LastLineJson(listOutput).GetProperty("checkpoints").EnumerateArray().ToArray();
        Assert.Equal([ids[2], ids[0]], remaining.Select(c => c.GetProperty("id").GetString()));
        Assert.True(remaining[1].GetProperty("pinned").GetBoolean());
    }

    [Fact]
    public async Task AFlippedByteInTheStoreFailsVerifyAndThePull()
    {
        var (uri, options) = server.NewContainer();
        var ids = await CheckpointsCommandTests.Saved(_local.Path, 1);
        Assert.Equal(0, (await Run("checkpoints", "push", "--dir", _local.Path, "--remote", uri)).Code);
        var model = File.ReadAllBytes(Path.Combine(_local.Path, ids[0], CheckpointFiles.Model));
        model[^1] ^= 1;
        using (var objects = ObjectStores.Open(options))
            await objects.PutAsync(ObjectCheckpointStore.Key(ids[0], CheckpointFiles.Model), model, CancellationToken.None);

        var (verified, verifyOutput, verifyError) = await Run("checkpoints", "verify", "--remote", uri);
        using var empty = new TemporaryDirectory();
        var (pulled, _, pullError) = await Run("checkpoints", "pull", "--remote", uri, "--id", ids[0], "--dir", empty.Path);

        Assert.Equal(1, verified);
        Assert.True(verifyOutput.Contains("does not match its SHA-256"), verifyOutput + verifyError);
        Assert.Equal(1, pulled);
        Assert.Contains("remote copy is corrupt", pullError);
        Assert.Empty(empty.Entries());
    }

    [Fact]
    public async Task AKillDuringAnUploadLeavesNoManifestWithoutItsFilesAndNoCheckpointWithoutItsManifest()
    {
        var (uri, options) = server.NewContainer();
        var id = await SavedLarge(_local.Path);
        using var objects = ObjectStores.Open(options);
        using var push = DaemonProcess.Start(_local.Path, Path.Combine(_local.Path, "push.log"),
            ["push", "--dir", _local.Path, "--remote", uri, "--Checkpoints:Remote:PartSizeMegabytes=5", .. server.CredentialArguments], command: "checkpoints");

        // The model file is uploaded first; the kill lands while the optimizer file goes up or the model is read back.
        IReadOnlyList<RemoteObject> seen = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!seen.Any(o => o.Key.EndsWith(CheckpointFiles.Model, StringComparison.Ordinal)))
        {
            if (push.HasExited)
            {
                await push.WaitForExitAsync(TimeSpan.FromSeconds(10)); // collects the last lines
                Assert.Fail($"push ended (exit code {push.ExitCode}) before the kill: {string.Join(" | ", push.Lines)}");
            }
            Assert.True(DateTime.UtcNow < deadline, "the model file never appeared in the store");
            await Task.Delay(10);
            seen = await objects.ListAsync("", CancellationToken.None);
        }
        push.Kill();
        await push.WaitForExitAsync(TimeSpan.FromSeconds(10));

        using var freshVolume = new TemporaryDirectory();
        using var store = new RemoteCheckpointStore(objects, new CheckpointOptions { Directory = freshVolume.Path });
        var after = await store.ListWithoutHashingAsync(CancellationToken.None);
        if (after.Any(s => s.IsValid))
        {
            // The kill came after the manifest (a loaded machine can be that slow to see the model file): the copy is
            // then whole, every file it names there and matching.
            Assert.True((await store.Remote.VerifyAsync(id, CancellationToken.None)).IsValid);
        }
        else
        {
            Assert.Null(await store.RestoreLatestAsync(CPU, accept: null, CancellationToken.None));
        }

        // Run again, the upload completes: the manifest arrives with every file it names.
        var (again, _, error) = await Run(["checkpoints", "push", "--dir", _local.Path, "--remote", uri]);
        Assert.True(again == 0, error);
        Assert.True((await store.Remote.VerifyAsync(id, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task ABadRemoteUriIsOneLineAndExitCodeTwo()
    {
        var (code, _, error) = await Run("checkpoints", "list", "--remote", "ftp://somewhere/models");

        Assert.Equal(2, code);
        Assert.StartsWith("--remote must be", error.Trim());
        Assert.DoesNotContain('\n', error.Trim());
    }

    private Task<(int Code, string Output, string Error)> Run(params string[] args) => Run((IEnumerable<string>)args);

    private async Task<(int Code, string Output, string Error)> Run(IEnumerable<string> args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { CheckpointsCommand.Create() };
        int code = await root.Parse([.. args, .. server.CredentialArguments]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static JsonElement LastLineJson(string output) => JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;

    /// <summary>About 30 MB in several parts, so an upload takes long enough to be interrupted.</summary>
    private static async Task<string> SavedLarge(string directory)
    {
        var config = TrainingRun.SmallConfig() with { Features = FeatureSchema.Criteo(60_000) };
        using var model = new DlrmModel(config, CPU, TrainingRun.Seed);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory });
        return (await manager.SaveAsync(new TrainingSnapshot(trainer, new CheckpointStage(TrainingStage.Streaming), TrainingRun.Seed), pin: false, CancellationToken.None)).Id;
    }
}
