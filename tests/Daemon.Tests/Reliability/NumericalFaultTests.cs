using System.Text.RegularExpressions;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Numerical faults: a batch whose loss or gradients come out NaN or infinite is detected before the optimizer
/// applies it, skipped and dead-lettered (kind non-finite-batch), and no checkpoint ever holds a non-finite value.
/// The chosen behaviour is "skip and dead-letter", not "restore the last checkpoint": the skip is exact (the step is
/// gated on the device), so the model ends bit-identical to a run that never saw the poisoned batches.
/// </summary>
/// <remarks>
/// No valid event can make a healthy model's loss non-finite: the dense transform log(1 + max(x, 0)) bounds every
/// feature at about 709.8 even for x = 1.8e308. So the run starts from a model whose first bottom layer weighs dense
/// feature I13 at 1e36, as weights look after an explosion; good events leave I13 empty (transformed to 0, so that
/// column never contributes), and a poison event carries I13 = 1e308, a finite, valid Criteo number that overflows
/// float32 on its way through the model (709.8 x 1e36 = +inf, then inf - inf = NaN).
/// </remarks>
[Collection(ReliabilityCollection.Name)]
public sealed partial class NumericalFaultTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 99;
    private const int BatchSize = 32;
    private const int GoodEvents = 64 * BatchSize;
    private const int PoisonedBatches = 3;
    private const int PoisonFeature = 12; // I13

    [Fact]
    public async Task PoisonedBatchesAreSkippedExactlyDeadLetteredAndNeverCheckpointed()
    {
        var random = new Random(Seed);
        using var seed = new SeedFolder();
        await WriteFragileSeedAsync(fixture.SeedCheckpoints, seed.Path);
        string[] keepEverything = ["--Checkpoints:KeepLast=1000"];

        // The run that never sees a poisoned batch.
        var good = Enumerable.Range(0, GoodEvents).Select(i => ((byte[]?)ReliabilityFixture.Key(i), fixture.GoodEvent(i, r => r.Dense[PoisonFeature] = null))).ToList();
        using var clean = new DaemonScenario(fixture, fixture.Cluster, output, "clean", BatchSize, 4 * BatchSize, extraArguments: keepEverything, seedCheckpoints: seed.Path);
        clean.Produce(good);
        await RunToTheEndAsync(clean, GoodEvents);

        // The same events with whole batches inserted between them, each holding one poison event among good ones.
        var at = Enumerable.Range(1, GoodEvents / BatchSize - 1).OrderBy(_ => random.Next()).Take(PoisonedBatches).Order().ToArray();
        var poisoned = new List<(byte[]? Key, byte[] Value)>();
        var poisonedOffsets = new List<long>();
        for (int batch = 0; batch < GoodEvents / BatchSize; batch++)
        {
            if (at.Contains(batch))
            {
                int poison = random.Next(BatchSize);
                for (int i = 0; i < BatchSize; i++)
                {
                    long filler = 5_000_000 + batch * BatchSize + i;
                    poisonedOffsets.Add(poisoned.Count);
                    poisoned.Add((ReliabilityFixture.Key(filler), fixture.GoodEvent(filler, r => r.Dense[PoisonFeature] = i == poison ? 1e308 : null)));
                }
            }
            poisoned.AddRange(good.Skip(batch * BatchSize).Take(BatchSize));
        }
        int total = poisoned.Count, dropped = PoisonedBatches * BatchSize;
        output.WriteLine($"{GoodEvents} good events; {PoisonedBatches} poisoned batches of {BatchSize} inserted before batches {string.Join(", ", at)}");

        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "poison", BatchSize, 4 * BatchSize, extraArguments: keepEverything, seedCheckpoints: seed.Path);
        scenario.Produce(poisoned);
        var daemon = await scenario.StartAsync();
        var status = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == total, TimeSpan.FromMinutes(2), "every event");
        Assert.Equal(GoodEvents, DaemonScenario.Trained(status));
        Assert.Equal(PoisonedBatches, status.GetProperty("streaming").GetProperty("skippedBatches").GetInt64());
        Assert.Equal(dropped, status.GetProperty("streaming").GetProperty("deadLettered").GetProperty(DeadLetterReason.NonFiniteBatchKind).GetInt64());
        var metrics = (await daemon.MetricsAsync())!;
        Assert.Equal($"{PoisonedBatches}", SkippedMetric().Match(metrics).Groups[1].Value);
        Assert.Equal($"{dropped}", NonFiniteMetric().Match(metrics).Groups[1].Value);
        Assert.Equal(PoisonedBatches, daemon.Lines.Count(l => l.Contains("its loss or gradients were not finite", StringComparison.Ordinal)));
        await scenario.StopAsync(daemon);
        daemon.Dispose();

        // Every event of a poisoned batch, and only those, was dead-lettered as non-finite-batch.
        var letters = scenario.ReadDeadLetters();
        Assert.All(letters, l => Assert.Equal(DeadLetterReason.NonFiniteBatchKind, l.GetProperty("kind").GetString()));
        Assert.Equal(poisonedOffsets, letters.Select(l => l.GetProperty("sourceOffset").GetInt64()).Order());

        // No checkpoint the run wrote holds a NaN or an infinity.
        int scanned = 0;
        var manager = CheckpointInspection.Manager(scenario.Checkpoints);
        foreach (var checkpoint in await manager.ListAsync(CancellationToken.None))
        {
            Assert.True(checkpoint.IsValid, checkpoint.Problem);
            using var restored = await manager.RestoreLatestAsync(CPU, m => m.Id == checkpoint.Id, CancellationToken.None);
            Assert.Empty(CheckpointInspection.NonFiniteTensors(restored!));
            Assert.All(restored!.Manifest.Metrics.Values, v => Assert.True(double.IsFinite(v)));
            scanned++;
        }

        // The skip was exact: weights and optimizer state as if the poisoned batches had never been there.
        using var withPoison = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        using var without = await CheckpointInspection.RestoreNewestAsync(clean.Checkpoints);
        long values = CheckpointInspection.AssertBitIdentical(without, withPoison);
        var counters = withPoison.Manifest;
        Assert.Equal(total, CheckpointInspection.Consumed(counters));
        Assert.Equal(GoodEvents, CheckpointInspection.Trained(counters));
        Assert.Equal(PoisonedBatches, CheckpointInspection.Counter(counters, StreamingTrainer.SkippedBatchesCounter));
        Assert.Equal(dropped, CheckpointInspection.Counter(counters, StreamingTrainer.DeadLetterCounterPrefix + DeadLetterReason.NonFiniteBatchKind));
        Assert.Equal(without.Manifest.Counters.Steps + PoisonedBatches, counters.Counters.Steps); // a skipped step still counts as a step
        clean.Succeeded();
        scenario.Succeeded();
        output.WriteLine($"{PoisonedBatches} batches skipped, {dropped} events dead-lettered as {DeadLetterReason.NonFiniteBatchKind}; " +
                         $"{scanned} checkpoints scanned, all finite; bit-identical to the run without them ({values:N0} values)");
    }

    private static async Task RunToTheEndAsync(DaemonScenario scenario, int events)
    {
        using var daemon = await scenario.StartAsync();
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) == events, TimeSpan.FromMinutes(2), "every event");
        await scenario.StopAsync(daemon);
    }

    /// <summary>The seed model with dense feature I13 weighed at 1e36 by every neuron of the first bottom layer.</summary>
    private static async Task WriteFragileSeedAsync(string from, string to)
    {
        using var seed = await CheckpointInspection.RestoreNewestAsync(from);
        using (no_grad())
        {
            using var huge = 1e36.ToScalar(); // held: a temporary Scalar may be finalized during the native call
            seed.Model.Bottom.Weight(0).select(1, PoisonFeature).fill_(huge);
        }
        var snapshot = new TrainingSnapshot(seed.Trainer, seed.Manifest.Phase, seed.Manifest.Seed)
        {
            Positions = seed.Manifest.Positions,
            Counters = seed.Manifest.Counters.Other,
            Metrics = seed.Manifest.Metrics,
        };
        await CheckpointInspection.Manager(to).SaveAsync(snapshot, pin: true, CancellationToken.None);
    }

    [GeneratedRegex(@"^recurring_batches_skipped_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex SkippedMetric();

    [GeneratedRegex(@"^recurring_events_dead_lettered_total\{reason=""non-finite-batch""\} (\d+)", RegexOptions.Multiline)]
    private static partial Regex NonFiniteMetric();

    private sealed class SeedFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("recurring-fragile-seed-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
