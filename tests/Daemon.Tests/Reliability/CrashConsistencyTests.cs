using System.Diagnostics;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Crash consistency: the daemon, killed with SIGKILL at K random moments (some while a checkpoint is being written)
/// and restarted each time, ends with exactly the model an uninterrupted run over the same events ends with.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CrashConsistencyTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 20261126;

    public static int Kills => ReliabilityFixture.Soak ? 20 : 5;

    [Fact]
    public async Task KilledAtRandomMomentsAndRestartedEndsBitIdenticalToAnUninterruptedRun()
    {
        var reference = await fixture.ReferenceAsync(output);
        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "crash", ReferenceRun.BatchSize, ReferenceRun.CheckpointEvery);
        scenario.Produce(ReferenceRun.Sequence(fixture));
        var random = new Random(Seed);
        var killer = new Killer(scenario, output, random, ReferenceRun.Events, ReferenceRun.CheckpointEvery);
        var clock = Stopwatch.StartNew();

        foreach (var moment in Killer.Plan(random, Kills)) await killer.RunAndKillAsync(moment, Kills);

        // The last start trains what is left and stops gracefully.
        using (var daemon = await scenario.StartAsync())
        {
            await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == ReferenceRun.Events, TimeSpan.FromMinutes(2), "the last event");
            await scenario.StopAsync(daemon);
        }
        output.WriteLine($"{Kills} kills and {scenario.Starts} starts in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Empty(CheckpointInspection.Folders(scenario.Checkpoints).Temporary);
        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        ReferenceRun.AssertComplete(final.Manifest, scenario.Topic);
        Assert.Equal(reference.Final.Manifest.Counters.Steps, final.Manifest.Counters.Steps);
        Assert.Equal(reference.Final.Manifest.Counters.Samples, final.Manifest.Counters.Samples);
        long values = CheckpointInspection.AssertBitIdentical(reference.Final, final);
        Assert.Equal(Kills, killer.Kills.Count);
        // Planned for a write is not enough: a kill must have landed inside one, leaving its temporary folder.
        Assert.Contains(killer.Kills, k => k.InterruptedAWrite);
        scenario.Succeeded();
        output.WriteLine($"bit-identical: {values:N0} values (model and optimizer state); " +
                         $"kills that interrupted a checkpoint write (its temporary folder left): {killer.Kills.Count(k => k.InterruptedAWrite)}, " +
                         $"that interrupted a retention delete: {killer.Kills.Count(k => k.TemporaryLeft.Any(t => t.StartsWith(".tmp-delete-", StringComparison.Ordinal)))}");
    }
}
