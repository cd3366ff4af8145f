using Recurring.Checkpointing.Tests.Support;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

/// <summary>Checkpoints are ordered by a sequence number each write takes from the store, not by the wall clock.</summary>
public class CheckpointOrderTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task ACheckpointWrittenAfterTheClockWasSetBackIsTheOneRestored()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var clock = new FixedClock(Now.AddYears(1));
        var manager = Checkpoints.Manager(directory.Path, clock);
        await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        clock.UtcNow = Now;
        run.Train(1);
        var written = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        using var restored = await Checkpoints.Manager(directory.Path).RestoreLatestAsync(CPU, accept: null, CancellationToken.None);

        Assert.Equal(written.Id, restored!.Manifest.Id);
        Assert.Equal(2, restored.Manifest.Sequence);
    }

    [Fact]
    public async Task RetentionAfterAFutureDatedCheckpointKeepsTheNewestWrites()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var clock = new FixedClock(Now.AddYears(1));
        var options = Checkpoints.Options(directory.Path);
        options.KeepLast = 2;
        options.KeepDailyDays = 0;
        var manager = new CheckpointManager(new LocalCheckpointStore(directory.Path), options, time: clock);
        var futureDated = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        clock.UtcNow = Now;
        var writes = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            run.Train(1);
            clock.UtcNow += TimeSpan.FromMinutes(1);
            writes.Add((await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None)).Id);
        }

        var plan = await manager.ApplyRetentionAsync(CancellationToken.None);

        Assert.Equal([futureDated.Id, writes[0]], plan.Deletions.Order(StringComparer.Ordinal));
        Assert.Equal(writes.TakeLast(2).Reverse(), (await manager.ListAsync(CancellationToken.None)).Select(c => c.Id));
    }

    [Fact]
    public async Task TheSequenceContinuesAfterTheStepCounterStartsAgain()
    {
        using var directory = new TemporaryDirectory();
        using (var first = new TrainingRun(steps: 5))
            await Checkpoints.Manager(directory.Path).SaveAsync(first.Snapshot(), pin: false, CancellationToken.None);
        using var second = new TrainingRun(steps: 1);

        var written = await Checkpoints.Manager(directory.Path).SaveAsync(second.Snapshot(), pin: false, CancellationToken.None);

        Assert.Equal(2, written.Manifest.Sequence);
        Assert.Equal(written.Id, (await Checkpoints.Manager(directory.Path).ListAsync(CancellationToken.None))[0].Id);
    }

    [Fact]
    public async Task CheckpointsOfTheFormerFormatCountAsOlderThanAnyWithASequence()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var manager = Checkpoints.Manager(directory.Path, new FixedClock(Now));
        var written = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        // Dated a year later than the checkpoint with a sequence, as a clock that ran ahead would have named it.
        var legacy = ManifestIntegrityTests.LegacyCopy(directory.Path, written.Id, "ckpt-20271201T120000.000Z-000000000001");

        var listed = await manager.ListAsync(CancellationToken.None);
        var next = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);

        Assert.Equal([written.Id, legacy], listed.Select(c => c.Id));
        Assert.Equal(2, next.Manifest.Sequence);
    }
}
