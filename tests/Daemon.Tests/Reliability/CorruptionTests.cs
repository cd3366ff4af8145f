using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Recurring.Checkpointing;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>How the newest checkpoint gets damaged between two runs.</summary>
public enum Damage
{
    /// <summary>model.safetensors loses its second half.</summary>
    TruncateModel,

    /// <summary>One byte of model.safetensors, at a random offset, is inverted.</summary>
    FlipByte,

    /// <summary>manifest.json is deleted.</summary>
    DeleteManifest,
}

/// <summary>
/// Corruption: between restarts the newest checkpoint is damaged. The daemon skips it, logs and counts it (status
/// and metric), restores the one before, replays from that one's offsets, and still ends bit-identical to the
/// uninterrupted run.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class CorruptionTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 4242;

    [Fact]
    public async Task DamagedNewestCheckpointIsSkippedCountedAndReplayedFromTheOneBefore()
    {
        var reference = await fixture.ReferenceAsync(output);
        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "corrupt", ReferenceRun.BatchSize, ReferenceRun.CheckpointEvery);
        scenario.Produce(ReferenceRun.Sequence(fixture));
        var random = new Random(Seed);
        var damages = Enumerable.Repeat(Enum.GetValues<Damage>(), ReliabilityFixture.Soak ? 3 : 1).SelectMany(d => d).ToArray();
        var clock = Stopwatch.StartNew();

        (string Id, CheckpointManifest Fallback, int Skips)? damaged = null;
        // One run per damage, each ended by SIGKILL and followed by the damage; then a last run to the end.
        for (int run = 0; run <= damages.Length; run++)
        {
            bool last = run == damages.Length;
            using var daemon = await scenario.StartAsync();
            await scenario.WaitForStatusAsync(daemon, DaemonScenario.IsStreaming, TimeSpan.FromMinutes(1), "streaming");
            long resumedAt;
            if (damaged is { } d)
            {
                resumedAt = CheckpointInspection.Consumed(d.Fallback);
                await AssertSkippedAndFellBackAsync(scenario, daemon, d.Id, d.Fallback, d.Skips);
            }
            else
            {
                resumedAt = 0;
            }

            if (last)
            {
                await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == ReferenceRun.Events, TimeSpan.FromMinutes(2), "the last event");
                await scenario.StopAsync(daemon);
                break;
            }

            // Two checkpoints past the one restored, so the newest has a valid predecessor written by this run.
            long target = Math.Min(ReferenceRun.Events, resumedAt + 2 * ReferenceRun.CheckpointEvery + 1 + random.Next((int)ReferenceRun.CheckpointEvery));
            await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) >= target, TimeSpan.FromMinutes(2), $"{target} events");
            daemon.Kill();

            var valid = (await CheckpointInspection.Manager(scenario.Checkpoints).ListAsync(CancellationToken.None)).Where(c => c.IsValid).ToList();
            Assert.True(valid.Count >= 2, "two valid checkpoints before the damage");
            var (newest, fallback) = (valid[0], valid[1]);
            var damage = damages[run];
            string what = Inflict(damage, Path.Combine(scenario.Checkpoints, newest.Id), random);
            // Every checkpoint newer than the fallback is damaged now. Usually that is the one just damaged; but a run that
            // trained to the end of the stream before its kill landed may not have written past an earlier damaged one,
            // which the next start then skips as well.
            int skips = CheckpointInspection.Folders(scenario.Checkpoints).Checkpoints.Count(id => string.CompareOrdinal(id, fallback.Id) > 0);
            output.WriteLine($"{damage} ({what}) on {newest.Id} ({CheckpointInspection.Consumed(newest.Manifest!)} events); " +
                             $"expect {skips} skipped and a fall back to {fallback.Id} ({CheckpointInspection.Consumed(fallback.Manifest!)} events)");
            damaged = (newest.Id, fallback.Manifest!, skips);
        }
        output.WriteLine($"{damages.Length} damaged checkpoints, {scenario.Starts} starts, {clock.Elapsed.TotalSeconds:F1} s");

        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        ReferenceRun.AssertComplete(final.Manifest, scenario.Topic);
        Assert.Equal(reference.Final.Manifest.Counters.Steps, final.Manifest.Counters.Steps);
        long values = CheckpointInspection.AssertBitIdentical(reference.Final, final);
        scenario.Succeeded();
        output.WriteLine($"bit-identical: {values:N0} values");
    }

    /// <summary>
    /// The damaged checkpoint (and any other damaged one newer than the fallback: <paramref name="skips"/> in all) was
    /// skipped, logged and counted, and the run restored the one before and read on from its offsets.
    /// </summary>
    private static async Task AssertSkippedAndFellBackAsync(DaemonScenario scenario, DaemonProcess daemon, string damagedId, CheckpointManifest fallback, int skips)
    {
        var status = await scenario.WaitForStatusAsync(daemon, DaemonScenario.IsStreaming, TimeSpan.FromMinutes(1), "streaming");
        Assert.Equal(skips, status.GetProperty("checkpoints").GetProperty("corruptSkipped").GetInt64());
        var metrics = await daemon.MetricsAsync();
        Assert.NotNull(metrics);
        Assert.Matches(CorruptMetric(), metrics);
        Assert.Equal(skips.ToString(CultureInfo.InvariantCulture), CorruptMetric().Match(metrics).Groups[1].Value);
        var lines = daemon.Lines;
        Assert.Contains(lines, l => l.Contains($"Skipping checkpoint {damagedId}:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"Restored checkpoint {fallback.Id} (Streaming", StringComparison.Ordinal));
        long offset = CheckpointInspection.NextOffset(fallback, scenario.Topic);
        Assert.Contains(lines, l => l.Contains($"Streaming from {scenario.Topic} (0@{offset})", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^recurring_checkpoints_corrupt_skipped_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex CorruptMetric();

    /// <summary>Damages the checkpoint in <paramref name="folder"/>; says what was done.</summary>
    private static string Inflict(Damage damage, string folder, Random random)
    {
        var model = Path.Combine(folder, CheckpointFiles.Model);
        switch (damage)
        {
            case Damage.TruncateModel:
            {
                using var file = new FileStream(model, FileMode.Open, FileAccess.Write);
                long length = file.Length;
                file.SetLength(length / 2);
                return $"{CheckpointFiles.Model} cut from {length} to {length / 2} bytes";
            }
            case Damage.FlipByte:
            {
                using var file = new FileStream(model, FileMode.Open, FileAccess.ReadWrite);
                long offset = random.NextInt64(file.Length);
                file.Position = offset;
                int value = file.ReadByte();
                file.Position = offset;
                file.WriteByte((byte)~value);
                return $"byte {offset} of {file.Length} in {CheckpointFiles.Model} inverted";
            }
            case Damage.DeleteManifest:
                File.Delete(Path.Combine(folder, CheckpointFiles.Manifest));
                return $"{CheckpointFiles.Manifest} deleted";
            default:
                throw new ArgumentOutOfRangeException(nameof(damage));
        }
    }
}
