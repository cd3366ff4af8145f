using Recurring.Checkpointing.Tests.Support;

namespace Recurring.Checkpointing.Tests;

public class RetentionTests
{
    private static readonly DateTime Start = new(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>Twelve checkpoints eight hours apart, the first one the offline result.</summary>
    private static async Task<List<string>> History(string directory)
    {
        using var run = new TrainingRun(steps: 1);
        var clock = new FixedClock(Start);
        var manager = Checkpoints.Manager(directory, clock);
        var ids = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            clock.UtcNow = Start.AddHours(8 * i);
            var phase = i == 0 ? TrainingStage.OfflineFinal : TrainingStage.Streaming;
            ids.Add((await manager.SaveAsync(run.Snapshot(phase), pin: false, CancellationToken.None)).Id);
            run.Train(1);
        }
        return ids;
    }

    [Fact]
    public async Task PruneLeavesExactlyTheLastNTheDailyNewestAndThePinned()
    {
        using var directory = new TemporaryDirectory();
        var ids = await History(directory.Path);

        await Checkpoints.Manager(directory.Path).ApplyRetentionAsync(new RetentionRule(KeepLast: 2, KeepDailyDays: 3), CancellationToken.None);

        // From 08:00 on the 20th to 00:00 on the 24th: ids[0] is pinned (the offline result), ids[11] and ids[10]
        // are the last two and the newest of the 24th and the 23rd, ids[7] (16:00) is the newest of the 22nd.
        Assert.Equal(new[] { ids[0], ids[7], ids[10], ids[11] }, directory.Entries());
    }

    [Fact]
    public async Task PruneDeletesNothingWhileNoCheckpointVerifies()
    {
        using var directory = new TemporaryDirectory();
        var ids = await History(directory.Path);
        foreach (var id in ids) File.Delete(Path.Combine(directory.Path, id, CheckpointFiles.Manifest));

        var plan = await Checkpoints.Manager(directory.Path).ApplyRetentionAsync(new RetentionRule(KeepLast: 1, KeepDailyDays: 0), CancellationToken.None);

        Assert.Empty(plan.Deletions);
        Assert.Equal(ids, directory.Entries());
    }

    [Fact]
    public async Task PinAndUnpinToggleTheMarkerWithoutTouchingHashedFiles()
    {
        using var directory = new TemporaryDirectory();
        var ids = await History(directory.Path);
        var manager = Checkpoints.Manager(directory.Path);

        await manager.PinAsync(ids[5], CancellationToken.None);
        Assert.True((await manager.VerifyAsync(ids[5], CancellationToken.None)) is { Pinned: true, IsValid: true });
        await manager.UnpinAsync(ids[5], CancellationToken.None);
        Assert.True((await manager.VerifyAsync(ids[5], CancellationToken.None)) is { Pinned: false, IsValid: true });
    }

    [Fact]
    public async Task PinningAnUnknownIdIsAClearError()
    {
        using var directory = new TemporaryDirectory();
        var error = await Assert.ThrowsAsync<CheckpointException>(() =>
            Checkpoints.Manager(directory.Path).PinAsync("ckpt-nope", CancellationToken.None));
        Assert.Contains("no checkpoint 'ckpt-nope'", error.Message);
    }
}
