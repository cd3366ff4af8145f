using System.Diagnostics;
using Recurring.Daemon.Streaming;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Bad input: 10,000 fuzzed messages (random bytes, truncated lines, missing and extra fields, overflowing numbers,
/// NaN and infinity, invalid UTF-8, empty values and tombstones) mixed at random into good events. The daemon never
/// exits; every bad one is dead-lettered with its reason; every good one is trained.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BadInputTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 777;

    /// <summary>Per run; the soak runs three seeds. About 3 MB on one partition: the mock broker keeps about 5 MiB.</summary>
    private const int Bad = 10_000, Good = 4_000;

    [Fact]
    public async Task EveryFuzzedEventIsDeadLetteredWithItsReasonAndEveryGoodOneIsTrained()
    {
        foreach (int seed in ReliabilityFixture.Soak ? [Seed, Seed + 1, Seed + 2] : new[] { Seed }) await RunAsync(seed, Bad, Good);
    }

    private async Task RunAsync(int seed, int bad, int good)
    {
        var random = new Random(seed);
        var messages = new List<(byte[]? Key, byte[] Value)>();
        var expected = new Dictionary<long, FuzzedEvent>(); // by offset
        int goodSoFar = 0, badSoFar = 0;
        while (goodSoFar < good || badSoFar < bad)
        {
            bool takeBad = goodSoFar == good || (badSoFar < bad && random.Next(good + bad) < bad);
            if (takeBad)
            {
                var fuzzed = FuzzedEvents.Make(random, fixture.GoodEvent(10_000_000 + badSoFar));
                expected[messages.Count] = fuzzed;
                messages.Add((random.Next(2) == 0 ? null : ReliabilityFixture.Key(-1 - badSoFar), fuzzed.Value!));
                badSoFar++;
            }
            else
            {
                messages.Add((ReliabilityFixture.Key(goodSoFar), fixture.GoodEvent(goodSoFar)));
                goodSoFar++;
            }
        }
        output.WriteLine($"{good} good and {bad} fuzzed messages ({messages.Sum(m => m.Value?.Length ?? 0) / 1e6:F1} MB); " +
                         string.Join(", ", expected.Values.GroupBy(e => e.Fuzz).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));

        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, "fuzz", batchSize: 64, checkpointEveryEvents: 2048,
            extraArguments: ["--Streaming:MaxBatchWaitMilliseconds=200"]);
        scenario.Produce(messages);
        var clock = Stopwatch.StartNew();
        using var daemon = await scenario.StartAsync();
        var status = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) >= messages.Count, TimeSpan.FromMinutes(3), "every message");
        output.WriteLine($"consumed {messages.Count} messages {clock.Elapsed.TotalSeconds:F1} s after the start");
        Assert.False(daemon.HasExited);
        Assert.Equal(messages.Count, DaemonScenario.Consumed(status));
        Assert.Equal(good, DaemonScenario.Trained(status));
        Assert.Equal(bad, DaemonScenario.DeadLettered(status));
        Assert.Equal(0, status.GetProperty("streaming").GetProperty("skippedBatches").GetInt64());
        var byKind = expected.Values.GroupBy(e => e.ExpectedKind).ToDictionary(g => g.Key, g => (long)g.Count());
        var reported = status.GetProperty("streaming").GetProperty("deadLettered").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(byKind.OrderBy(k => k.Key), reported.OrderBy(k => k.Key));
        await scenario.StopAsync(daemon);

        // The dead-letter file: one line per bad message, at its offset, with the payload as sent, its kind and a reason.
        var letters = scenario.ReadDeadLetters();
        Assert.Equal(bad, letters.Count);
        foreach (var letter in letters)
        {
            long offset = letter.GetProperty("sourceOffset").GetInt64();
            Assert.True(expected.TryGetValue(offset, out var fuzzed), $"offset {offset} was dead-lettered but is a good event");
            Assert.Equal(scenario.Topic, letter.GetProperty("sourceTopic").GetString());
            Assert.True(fuzzed.ExpectedKind == letter.GetProperty("kind").GetString(),
                $"offset {offset} ({fuzzed.Fuzz}) was dead-lettered as {letter.GetProperty("kind").GetString()}, not {fuzzed.ExpectedKind}: {letter.GetProperty("reason").GetString()}");
            Assert.False(string.IsNullOrWhiteSpace(letter.GetProperty("reason").GetString()));
            Assert.Equal(fuzzed.Value ?? [], letter.GetProperty("payload").GetBytesFromBase64());
        }
        Assert.Equal(expected.Keys.Order(), letters.Select(l => l.GetProperty("sourceOffset").GetInt64()).Order());

        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        Assert.Equal(messages.Count, CheckpointInspection.Consumed(final.Manifest));
        Assert.Equal(good, CheckpointInspection.Trained(final.Manifest));
        Assert.Equal(messages.Count, CheckpointInspection.NextOffset(final.Manifest, scenario.Topic));
        foreach (var (kind, count) in byKind)
            Assert.Equal(count, CheckpointInspection.Counter(final.Manifest, StreamingTrainer.DeadLetterCounterPrefix + kind));
        scenario.Succeeded();
        output.WriteLine($"dead-lettered {bad} of {bad} fuzzed ({string.Join(", ", byKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}); " +
                         $"trained {good} of {good} good; 0 exits");
    }
}
