using Recurring.Checkpointing.Tests.Support;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class FaultInjectionTests
{
    private const int NoSpaceLeftOnDevice = 28;

    private static IOException DiskFull() => new("No space left on device", NoSpaceLeftOnDevice);

    /// <summary>Operations one save performs, counted by a store that never fails.</summary>
    private static async Task<int> OperationsPerSave(TrainingRun run)
    {
        using var directory = new TemporaryDirectory();
        var store = new FaultyStore(directory.Path, failAt: int.MaxValue, crash: false);
        await Checkpoints.Manager(store).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        return store.Operations;
    }

    private static async Task<string> SaveBaseline(string directory, TrainingRun run) =>
        (await Checkpoints.Manager(directory).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Id;

    [Fact]
    public async Task CrashAtAnyStepOfASaveLeavesOnlyCompleteCheckpointsAndRestoreStillWorks()
    {
        using var run = new TrainingRun(steps: 1);
        int operations = await OperationsPerSave(run);
        Assert.True(operations > 10, $"only {operations} operations counted");

        for (int crashAt = 1; crashAt <= operations; crashAt++)
        {
            using var directory = new TemporaryDirectory();
            var baseline = await SaveBaseline(directory.Path, run);
            run.Train(1);
            var crashing = new FaultyStore(directory.Path, crashAt, crash: true);
            await Assert.ThrowsAnyAsync<Exception>(() => Checkpoints.Manager(crashing).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

            var afterRestart = Checkpoints.Manager(directory.Path);
            var listed = await afterRestart.ListAsync(CancellationToken.None);
            Assert.All(listed, status => Assert.True(status.IsValid, $"crash at operation {crashAt} left {status.Id}: {status.Problem}"));
            Assert.Contains(baseline, listed.Select(s => s.Id));
            using var restored = await afterRestart.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);
            Assert.Equal(listed[0].Id, restored!.Manifest.Id);
            await afterRestart.RemoveStaleTemporaryFoldersAsync(CancellationToken.None);
            Assert.DoesNotContain(directory.Entries(), CheckpointId.IsTemporary);
        }
    }

    [Fact]
    public async Task FailureAtAnyStepOfASaveLeavesNoTemporaryFolderAndNoHalfCheckpoint()
    {
        using var run = new TrainingRun(steps: 1);
        int operations = await OperationsPerSave(run);

        for (int failAt = 1; failAt <= operations; failAt++)
        {
            using var directory = new TemporaryDirectory();
            var baseline = await SaveBaseline(directory.Path, run);
            run.Train(1);
            var failing = new FaultyStore(directory.Path, failAt, crash: false);

            var error = await Assert.ThrowsAsync<CheckpointException>(() => Checkpoints.Manager(failing).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

            var entries = directory.Entries();
            if (entries.Length == 1)
            {
                Assert.Equal(baseline, entries[0]);
                Assert.Contains("Existing checkpoints are untouched", error.Message);
            }
            else
            {
                // Only flushing the root after the rename failed: the new checkpoint is complete.
                Assert.Contains("may not survive a power loss", error.Message);
                Assert.All(await Checkpoints.Manager(directory.Path).ListAsync(CancellationToken.None), s => Assert.True(s.IsValid));
            }
        }
    }

    [Fact]
    public async Task DiskFullMidWriteKeepsOldCheckpointsAndLeavesNoTemporaryFolder()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var baseline = await SaveBaseline(directory.Path, run);
        run.Train(1);
        int midModelFile = 6; // create folder, open file, length, header, first tensor, second tensor
        var full = new FaultyStore(directory.Path, midModelFile, crash: false, DiskFull);

        var error = await Assert.ThrowsAsync<CheckpointException>(() =>
            Checkpoints.Manager(full, retryAttempts: 3).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

        Assert.Contains("No space left on device", error.Message);
        Assert.Equal([baseline], directory.Entries());
        Assert.True((await Checkpoints.Manager(directory.Path).VerifyAsync(baseline, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task DiskFullIsNotRetried()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var full = new FaultyStore(directory.Path, failAt: 2, crash: true, DiskFull);

        await Assert.ThrowsAsync<CheckpointException>(() =>
            Checkpoints.Manager(full, retryAttempts: 3).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

        // Create the folder, fail once writing, then only the cleanup's attempt: no retries of the write.
        Assert.Equal(3, full.Operations);
    }

    [Fact]
    public async Task TransientFailureIsRetriedAndTheSaveSucceeds()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var flaky = new FaultyStore(directory.Path, failAt: 3, crash: false);

        var info = await Checkpoints.Manager(flaky, retryAttempts: 2).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        Assert.True((await Checkpoints.Manager(directory.Path).VerifyAsync(info.Id, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task StaleTemporaryFoldersAreIgnoredByDiscoveryAndRemovedAtStartUp()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var baseline = await SaveBaseline(directory.Path, run);
        var stale = Path.Combine(directory.Path, CheckpointId.WritingFolder(CheckpointId.Create(99, DateTime.UtcNow.AddDays(1), 99)));
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, CheckpointFiles.Model), "half");
        var manager = Checkpoints.Manager(directory.Path);

        Assert.Equal([baseline], (await manager.ListAsync(CancellationToken.None)).Select(s => s.Id));
        Assert.Equal(1, await manager.RemoveStaleTemporaryFoldersAsync(CancellationToken.None));
        Assert.Equal([baseline], directory.Entries());
    }
}
