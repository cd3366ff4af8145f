using System.Text;
using Recurring.Checkpointing;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// A graceful stop (SIGTERM) ends with a final checkpoint of everything read, dead letters included, and exit code 0;
/// a stop that could not write that checkpoint says why and exits non-zero, so a deploy never hides lost work. Run as
/// the issue reproduced it: one partition of events with a malformed line after every tenth, checkpoints by count far
/// away, SIGTERM once 1,600 events were trained.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class GracefulStopTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int GoodEvents = 8_000;
    private const int TrainedBeforeStop = 1_600;
    private static readonly byte[] Malformed = Encoding.UTF8.GetBytes("this is not a click event");

    [Fact]
    public async Task AStopWithDeadLettersInFlightWritesItsFinalCheckpointAndExitsZero()
    {
        using var scenario = Scenario("stop-dirty");
        var malformedOffsets = ProduceDirtyStream(scenario);
        var daemon = await scenario.StartAsync();
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Trained(s) >= TrainedBeforeStop, TimeSpan.FromMinutes(1), $"{TrainedBeforeStop} trained events");
        await scenario.StopAsync(daemon); // asserts exit code 0
        daemon.Dispose();

        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        Assert.Equal(TrainingStage.Streaming, final.Manifest.Stage.Kind);
        long next = CheckpointInspection.NextOffset(final.Manifest, scenario.Topic);
        Assert.True(next > TrainedBeforeStop, $"the final checkpoint stops at offset {next}");
        Assert.Equal(next, CheckpointInspection.Consumed(final.Manifest));
        // Exactly the malformed messages before the final position were dead-lettered, each once.
        var expected = malformedOffsets.Where(o => o < next).ToList();
        Assert.Equal(expected, scenario.ReadDeadLetters().Select(l => l.GetProperty("sourceOffset").GetInt64()).Order());
        Assert.Equal(expected.Count, CheckpointInspection.Consumed(final.Manifest) - CheckpointInspection.Trained(final.Manifest));
        scenario.Succeeded();
        output.WriteLine($"SIGTERM after {TrainedBeforeStop}+ trained: final checkpoint at offset {next}, {expected.Count} dead letters, exit code 0");
    }

    [Fact]
    public async Task AStopThatCannotWriteItsFinalCheckpointSaysWhyAndExitsNonZero()
    {
        using var scenario = Scenario("stop-unwritable");
        ProduceDirtyStream(scenario);
        var daemon = await scenario.StartAsync();
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Trained(s) >= TrainedBeforeStop, TimeSpan.FromMinutes(1), $"{TrainedBeforeStop} trained events");
        // The checkpoint folder becomes a file: every write into it fails, as on a volume that went away.
        Directory.Move(scenario.Checkpoints, scenario.Checkpoints + ".moved");
        await File.WriteAllTextAsync(scenario.Checkpoints, "not a folder");

        daemon.Terminate();
        Assert.True(await daemon.WaitForExitAsync(DaemonScenario.StopTimeout), "the daemon did not stop");
        Assert.Equal(1, daemon.ExitCode);
        var said = Assert.Single(daemon.Lines, l => l.Contains("The final checkpoint was not written", StringComparison.Ordinal));
        Assert.Contains(fixture.SeedId, said); // where the next start resumes
        daemon.Dispose();
        File.Delete(scenario.Checkpoints);
        Directory.Move(scenario.Checkpoints + ".moved", scenario.Checkpoints);
        scenario.Succeeded();
        output.WriteLine($"final checkpoint impossible: exit code 1; said: {said}");
    }

    private DaemonScenario Scenario(string name) =>
        new(fixture, fixture.Cluster, output, name, batchSize: 32, checkpointEveryEvents: 1_000_000_000);

    /// <summary>Good events with a malformed line after every tenth; returns the malformed lines' offsets.</summary>
    private List<long> ProduceDirtyStream(DaemonScenario scenario)
    {
        var messages = new List<(byte[]? Key, byte[] Value)>();
        var malformed = new List<long>();
        for (int i = 0; i < GoodEvents; i++)
        {
            messages.Add((ReliabilityFixture.Key(i), fixture.GoodEvent(i)));
            if (i % 10 != 9) continue;
            malformed.Add(messages.Count);
            messages.Add((null, Malformed));
        }
        scenario.Produce(messages);
        return malformed;
    }
}
