using Recurring.Checkpointing.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

/// <summary>
/// Durability: a checkpoint that <see cref="CheckpointManager.SaveAsync"/> returned survives a power cut, and a cut
/// part-way through a save leaves the earlier checkpoints and at most a complete new one. The store drops everything
/// that was never flushed (<see cref="PowerCutStore"/>), so leaving out any of the save's fsyncs (of a file, of the
/// checkpoint's folder, of the root after the rename) fails these tests.
/// </summary>
public class PowerCutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ACheckpointThatSaveReturnedSurvivesAPowerCutRightAfter()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var store = new PowerCutStore(directory.Path);
        var manager = Checkpoints.Manager(store);
        await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        run.Train(1);
        var newest = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        store.CutPower();

        var afterCut = Checkpoints.Manager(directory.Path);
        var listed = await afterCut.ListAsync(CancellationToken.None);
        Assert.All(listed, c => Assert.True(c.IsValid, $"{c.Id}: {c.Problem}"));
        using var restored = await afterCut.RestoreLatestAsync(CPU, accept: null, CancellationToken.None);
        Assert.Equal(newest.Id, restored!.Manifest.Id);
        Assert.Equal(2, restored.Trainer.Steps);
    }

    [Fact]
    public async Task APowerCutAtAnyPointOfASaveLeavesTheEarlierCheckpointAndAtMostACompleteNewOne()
    {
        using var run = new TrainingRun(steps: 1);
        bool completed = false;
        for (int cutAt = 1; !completed; cutAt++)
        {
            using var directory = new TemporaryDirectory();
            var store = new PowerCutStore(directory.Path);
            var earlier = (await Checkpoints.Manager(store).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Id;
            string? saved = null;
            store.CrashAfter(cutAt);
            try
            {
                saved = (await Checkpoints.Manager(store).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Id;
                completed = true;
            }
            catch (CheckpointException)
            {
            }

            store.CutPower();

            var listed = await Checkpoints.Manager(directory.Path).ListAsync(CancellationToken.None);
            Assert.All(listed, c => Assert.True(c.IsValid, $"a power cut at operation {cutAt} of a save left {c.Id}: {c.Problem}"));
            Assert.Contains(earlier, listed.Select(c => c.Id));
            Assert.InRange(listed.Count, 1, 2);
            if (saved is not null) Assert.Equal(saved, listed[0].Id);
            Assert.True(cutAt < 1000, "the save never completed");
            if (completed) output.WriteLine($"{cutAt - 1} cut points before the save completed, each leaving {earlier} valid");
        }
    }

    [Fact]
    public async Task APinThatPinAsyncConfirmedSurvivesAPowerCut()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var store = new PowerCutStore(directory.Path);
        var manager = Checkpoints.Manager(store);
        var written = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        await manager.PinAsync(written.Id, CancellationToken.None);

        store.CutPower();

        Assert.True((await Checkpoints.Manager(directory.Path).VerifyAsync(written.Id, CancellationToken.None)).Pinned);
    }
}
