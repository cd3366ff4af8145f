using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Disk full, on a real filesystem: the checkpoint folder is an 8 MiB tmpfs, filled with ballast until a checkpoint
/// no longer fits. Checkpoints fail with a clear error and a metric, the older ones stay intact, training goes on
/// (and ends bit-identical to the uninterrupted run), and once the ballast is gone the next checkpoint succeeds.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class DiskFullTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const long DiskBytes = 8 << 20;
    private const long LeftFree = 128 << 10;

    [SmallFilesystemFact]
    public async Task CheckpointsFailClearlyWhileTheDiskIsFullAndSucceedAgainOnceSpaceReturns()
    {
        var reference = await fixture.ReferenceAsync(output);
        // Training goes on however many checkpoints fail: this scenario is about the failures themselves; pausing after
        // Checkpoints:PauseAfterFailures of them is DiskFullInProcessTests' subject.
        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "diskfull", ReferenceRun.BatchSize, ReferenceRun.CheckpointEvery,
            extraArguments: ["--Checkpoints:PauseAfterFailures=0"]);
        var seed = scenario.Checkpoints + ".seed";
        Directory.Move(scenario.Checkpoints, seed);
        using var disk = SmallFilesystem.Mount(scenario.Checkpoints, DiskBytes);
        ReliabilityFixture.CopyCheckpoints(seed, scenario.Checkpoints);
        var ballast = Path.Combine(scenario.Checkpoints, "ballast.bin"); // a file: the checkpoint store only lists folders
        FillUpTo(ballast, disk, LeftFree);
        var intact = await ValidCheckpointsAsync(scenario);
        output.WriteLine($"tmpfs of {DiskBytes >> 20} MiB, {disk.FreeBytes >> 10} KiB left free; a checkpoint takes {reference.Final.Manifest.FileBytes >> 10} KiB");

        // Three parts, the first two a whole number of batches (batches are cut by count only).
        int third = ReferenceRun.Events / 3 / ReferenceRun.BatchSize * ReferenceRun.BatchSize;
        var sequence = ReferenceRun.Sequence(fixture).ToArray();
        (byte[]?, byte[])[][] phases = [sequence[..third], sequence[third..(2 * third)], sequence[(2 * third)..]];
        scenario.Produce(phases[0]);
        using var daemon = await scenario.StartAsync();
        // One attempt per Checkpoints:EveryEvents, each failing: not one after every batch.
        long attempts = third / ReferenceRun.CheckpointEvery;
        var status = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == phases[0].Length && Failures(s) >= attempts,
            TimeSpan.FromMinutes(1), $"the first third and {attempts} failed checkpoints");
        var checkpoints = status.GetProperty("checkpoints");
        long failures = Failures(status);
        Assert.Equal(attempts, failures);
        Assert.Equal(0, checkpoints.GetProperty("written").GetInt64());
        string error = checkpoints.GetProperty("lastError").GetString()!;
        Assert.Contains("No space left on device", error);
        Assert.Contains("Existing checkpoints are untouched", error);
        Assert.Equal(failures, long.Parse(FailureMetric().Match((await daemon.MetricsAsync())!).Groups[1].Value));
        var logged = daemon.Lines.Where(l => l.Contains("Checkpoint failed, training goes on and the previous checkpoints are intact", StringComparison.Ordinal)).ToList();
        Assert.Equal(failures, logged.Count);
        Assert.All(logged, l => Assert.Contains("No space left on device", l));
        Assert.Equal(intact, await ValidCheckpointsAsync(scenario));
        Assert.Empty(CheckpointInspection.Folders(scenario.Checkpoints).Temporary);
        output.WriteLine($"disk full: {failures} failed checkpoint(s), metric recurring_checkpoint_failures_total {failures}; logged: {logged[0][(logged[0].IndexOf(": ", StringComparison.Ordinal) + 2)..]}");

        // Training goes on while the disk stays full.
        scenario.Produce(phases[1]);
        long attemptsWhileFull = 2 * third / ReferenceRun.CheckpointEvery;
        status = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Trained(s) == 2 * third && Failures(s) >= attemptsWhileFull,
            TimeSpan.FromMinutes(1), "the second third");
        long failuresWhileFull = Failures(status);
        Assert.Equal(attemptsWhileFull, failuresWhileFull);
        Assert.Equal(intact, await ValidCheckpointsAsync(scenario));

        // Space returns: the next checkpoint succeeds.
        File.Delete(ballast);
        scenario.Produce(phases[2]);
        status = await scenario.WaitForStatusAsync(daemon, s => s.GetProperty("checkpoints").GetProperty("written").GetInt64() >= 1,
            TimeSpan.FromMinutes(1), "a checkpoint once space returned");
        Assert.True(status.GetProperty("checkpoints").GetProperty("lastError").ValueKind == System.Text.Json.JsonValueKind.Null);
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == ReferenceRun.Events, TimeSpan.FromMinutes(1), "the last event");
        await scenario.StopAsync(daemon);

        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        ReferenceRun.AssertComplete(final.Manifest, scenario.Topic);
        long values = CheckpointInspection.AssertBitIdentical(reference.Final, final);
        scenario.Succeeded();
        output.WriteLine($"{failuresWhileFull} checkpoint attempts failed while the disk was full, the next succeeded; older checkpoints intact; " +
                         $"training never stopped; final model bit-identical to the uninterrupted run ({values:N0} values)");
    }

    private static long Failures(System.Text.Json.JsonElement status) => status.GetProperty("checkpoints").GetProperty("failures").GetInt64();

    /// <summary>Ids of the checkpoints that verify, with their file hashes: what "intact" means.</summary>
    private static async Task<string> ValidCheckpointsAsync(DaemonScenario scenario)
    {
        var all = await CheckpointInspection.Manager(scenario.Checkpoints).ListAsync(CancellationToken.None);
        Assert.All(all, c => Assert.True(c.IsValid, c.Problem));
        return string.Join("; ", all.Select(c => $"{c.Id} {string.Join(",", c.Manifest!.Files.Select(f => f.Sha256))}"));
    }

    private static void FillUpTo(string ballast, SmallFilesystem disk, long leftFree)
    {
        var chunk = new byte[64 << 10];
        using var file = new FileStream(ballast, FileMode.Create, FileAccess.Write);
        while (disk.FreeBytes - chunk.Length >= leftFree)
        {
            file.Write(chunk);
            file.Flush();
        }
    }

    [GeneratedRegex(@"^recurring_checkpoint_failures_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex FailureMetric();
}
