using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Streaming;
using TorchSharp;
using Xunit.Abstractions;
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
        Assert.Equal(PoisonedBatches, StreamingCounters.From(counters).SkippedBatches);
        Assert.Equal(dropped, StreamingCounters.From(counters).DeadLettered.GetValueOrDefault(DeadLetterReason.NonFiniteBatchKind));
        Assert.Equal(without.Manifest.Counters.Steps + PoisonedBatches, counters.Counters.Steps); // a skipped step still counts as a step
        clean.Succeeded();
        scenario.Succeeded();
        output.WriteLine($"{PoisonedBatches} batches skipped, {dropped} events dead-lettered as {DeadLetterReason.NonFiniteBatchKind}; " +
                         $"{scanned} checkpoints scanned, all finite; bit-identical to the run without them ({values:N0} values)");
    }

    [Fact]
    public async Task AfterARunOfNonFiniteBatchesTheModelIsRolledBackOnceAndAnotherRunPausesTraining()
    {
        const int runLength = 3;
        using var seed = new SeedFolder();
        await WriteFragileSeedAsync(fixture.SeedCheckpoints, seed.Path);
        var manager = CheckpointInspection.Manager(seed.Path);
        using var restored = await CheckpointInspection.RestoreNewestAsync(seed.Path);
        await using var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddRecurringStatus().BuildServiceProvider();
        services.GetRequiredService<StatusCell<ActivityState>>().Update(a => a with { Activity = DaemonActivity.Streaming, ModelLoaded = true, TrainerRunning = true });
        var status = services.GetRequiredService<DaemonStatus>();
        var schedule = new CheckpointOptions { Directory = seed.Path, EveryEvents = long.MaxValue, EverySeconds = 3600 };
        using var deadLetters = new FileDeadLetterSink(Path.Combine(seed.Path, "dead-letters.jsonl"));
        var writer = new CheckpointWriter(manager, schedule, [], services.GetRequiredService<StatusCell<CheckpointState>>(), TimeProvider.System,
            NullLogger<CheckpointWriter>.Instance);
        var trainer = new StreamingTrainer(restored.Trainer, restored.Manifest, new StreamingOptions { MaxBatchSize = BatchSize, RollbackAfterSkippedBatches = runLength },
            deadLetters, writer, new CheckpointScheduler(schedule, TimeProvider.System), services.GetRequiredService<StreamingStatus>(), TimeProvider.System,
            NullLogger<StreamingTrainer>.Instance);
        var items = Channel.CreateUnbounded<StreamItem>();
        var source = new SourceRecorder();
        var run = trainer.RunAsync(items.Reader, source, source, CancellationToken.None);
        var batches = new StreamBatches(fixture, restored.Model.Encoder, BatchSize);
        void Good(int count) => Write(batches.Next(count, edit: r => r.Dense[PoisonFeature] = null));
        void Poisoned(int count) => Write(batches.Next(count, edit: r => r.Dense[PoisonFeature] = 1e308));
        void Write(IEnumerable<StreamBatch> next)
        {
            foreach (var batch in next) items.Writer.TryWrite(batch);
        }
        async Task<StatusSnapshot> ConsumedAsync(long events)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (status.Snapshot().Streaming.EventsConsumed < events)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{events} events were not consumed within 60 s");
                await Task.Delay(10);
            }
            return status.Snapshot();
        }

        // Trained, then a run of non-finite batches: the model goes back to the seed, the last good checkpoint.
        Good(2);
        Poisoned(runLength);
        var rolledBack = await ConsumedAsync((2 + runLength) * BatchSize);
        Assert.Equal((0, 2 * BatchSize), (rolledBack.Streaming.EventsTrained, rolledBack.Streaming.EventsRolledBack));
        Assert.False(source.Held);
        Assert.Null(rolledBack.Streaming.PausedReason);

        // As many again right after: consumption pauses, with the reason, and readiness turns red.
        Poisoned(runLength);
        var paused = await ConsumedAsync((2 + 2 * runLength) * BatchSize);
        Assert.True(source.Held);
        Assert.StartsWith($"{runLength} batches in a row had non-finite loss or gradients right after the rollback to checkpoint {restored.Manifest.Id}", paused.Streaming.PausedReason);
        Assert.Contains(new ReadinessCheck(status, new AdminOptions()).Problems(paused), p => p.StartsWith("training paused: ", StringComparison.Ordinal));
        items.Writer.Complete();
        await run;

        // The last checkpoint holds exactly the seed's weights and optimizer state, and accounts for every event.
        using var final = await CheckpointInspection.RestoreNewestAsync(seed.Path);
        using var fragile = await manager.RestoreLatestAsync(CPU, m => m.Id == restored.Manifest.Id, CancellationToken.None);
        CheckpointInspection.AssertBitIdentical(fragile!, final);
        var counters = StreamingCounters.From(final.Manifest);
        Assert.Equal((2 + 2 * runLength) * BatchSize, counters.Consumed);
        Assert.Equal(2 * runLength * BatchSize, counters.DeadLettered[DeadLetterReason.NonFiniteBatchKind]);
        Assert.Equal((0, 2 * BatchSize), (counters.Trained, counters.RolledBack));
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
        var snapshot = new TrainingSnapshot(seed.Trainer, seed.Manifest.Stage, seed.Manifest.Seed)
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
