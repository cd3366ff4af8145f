using System.Diagnostics;
using Recurring.Checkpointing;
using Recurring.Daemon.Streaming;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// The fixed event sequence of the crash and corruption scenarios, trained once without interruption: one
/// partition, <see cref="Events"/> good events in batches of <see cref="BatchSize"/>, a checkpoint every
/// <see cref="CheckpointEvery"/> events. Its final checkpoint is the model every interrupted run must end with.
/// </summary>
public sealed class ReferenceRun : IDisposable
{
    public const int BatchSize = 32;
    public const long CheckpointEvery = 4 * BatchSize;

    public static int Events => ReliabilityFixture.Soak ? 16_384 : 6_144;

    private ReferenceRun(RestoredCheckpoint final, TimeSpan streaming)
    {
        Final = final;
        Streaming = streaming;
    }

    public RestoredCheckpoint Final { get; }

    /// <summary>From the daemon's start to the last event trained.</summary>
    public TimeSpan Streaming { get; }

    public static IEnumerable<(byte[]? Key, byte[] Value)> Sequence(ReliabilityFixture fixture) =>
        Enumerable.Range(0, Events).Select(i => ((byte[]?)ReliabilityFixture.Key(i), fixture.GoodEvent(i)));

    internal static async Task<ReferenceRun> RunAsync(ReliabilityFixture fixture, ITestOutputHelper output)
    {
        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "reference", BatchSize, CheckpointEvery);
        scenario.Produce(Sequence(fixture));
        var clock = Stopwatch.StartNew();
        using var daemon = await scenario.StartAsync();
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == Events, TimeSpan.FromMinutes(3), $"all {Events} events");
        var streaming = clock.Elapsed;
        await scenario.StopAsync(daemon);
        var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        AssertComplete(final.Manifest, scenario.Topic);
        scenario.Succeeded();
        output.WriteLine($"reference run: {Events} events in {streaming.TotalSeconds:F1} s (start included), final checkpoint {final.Manifest.Id}");
        return new ReferenceRun(final, streaming);
    }

    /// <summary>
    /// The final checkpoint of a run over the whole sequence: its position is the end of the partition and its
    /// counters say every event was consumed and trained, in full batches, nothing dead-lettered.
    /// </summary>
    public static void AssertComplete(CheckpointManifest manifest, string topic)
    {
        Assert.Equal(TrainingStage.Streaming, manifest.Stage.Kind);
        Assert.Equal(Events, CheckpointInspection.NextOffset(manifest, topic));
        Assert.Equal(Events, CheckpointInspection.Consumed(manifest));
        Assert.Equal(Events, CheckpointInspection.Trained(manifest));
        Assert.Equal(Events / BatchSize, StreamingCounters.From(manifest).Batches);
        Assert.Equal(0, StreamingCounters.From(manifest).SkippedBatches);
        Assert.Empty(StreamingCounters.From(manifest).DeadLettered);
    }

    public void Dispose() => Final.Dispose();
}
