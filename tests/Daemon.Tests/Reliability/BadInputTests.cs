using System.Diagnostics;
using Recurring.Daemon.Streaming;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Bad input: 10,000 fuzzed messages (random bytes, truncated lines, missing and extra fields, overflowing numbers,
/// NaN and infinity, invalid UTF-8, empty values and tombstones) mixed at random into good events; the same for JSON
/// events (Kafka:Format=json: malformed JSON, deep nesting, wrong types, bad or missing labels, huge numbers, arrays
/// on single-valued features) among good ones written in every valid way. The daemon never exits; every bad one is
/// dead-lettered with its kind and a reason; every good one is trained.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BadInputTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 777;

    /// <summary>Per run; the soak runs three seeds. About 3 MB on one partition: the mock broker keeps about 5 MiB.</summary>
    private const int Bad = 10_000, Good = 4_000;

    /// <summary>How a bad message was made (for the log) and the dead-letter kind it must get.</summary>
    private sealed record Expected(byte[]? Value, string Fuzz, string Kind);

    private static int[] Seeds => ReliabilityFixture.Soak ? [Seed, Seed + 1, Seed + 2] : [Seed];

    [Fact]
    public async Task EveryFuzzedEventIsDeadLetteredWithItsReasonAndEveryGoodOneIsTrained()
    {
        foreach (int seed in Seeds)
        {
            await RunAsync(seed, Bad, Good, "fuzz", [],
                (random, i) =>
                {
                    var fuzzed = FuzzedEvents.Make(random, fixture.GoodEvent(10_000_000 + i));
                    return new Expected(fuzzed.Value, fuzzed.Fuzz.ToString(), fuzzed.ExpectedKind);
                },
                (_, i) => fixture.GoodEvent(i));
        }
    }

    [Fact]
    public async Task EveryFuzzedJsonEventIsDeadLetteredWithItsKindAndEveryGoodOneIsTrained()
    {
        foreach (int seed in Seeds)
        {
            await RunAsync(seed, Bad, Good, "fuzz-json", ["--Kafka:Format=json"],
                (random, i) =>
                {
                    var fuzzed = FuzzedJsonEvents.Make(random, fixture.GoodJsonEvent(10_000_000 + i));
                    return new Expected(fuzzed.Value, fuzzed.Fuzz.ToString(), fuzzed.ExpectedKind);
                },
                (random, i) => FuzzedJsonEvents.Vary(random, fixture.GoodJsonEvent(i)));
        }
    }

    /// <param name="makeBad">The i-th bad message.</param>
    /// <param name="makeGood">The i-th good message: streaming event i, which the seed checkpoint has not seen.</param>
    private async Task RunAsync(int seed, int bad, int good, string name, string[] arguments, Func<Random, int, Expected> makeBad, Func<Random, int, byte[]> makeGood)
    {
        var random = new Random(seed);
        var messages = new List<(byte[]? Key, byte[] Value)>();
        var expected = new Dictionary<long, Expected>(); // by offset
        int goodSoFar = 0, badSoFar = 0;
        while (goodSoFar < good || badSoFar < bad)
        {
            bool takeBad = goodSoFar == good || (badSoFar < bad && random.Next(good + bad) < bad);
            if (takeBad)
            {
                var fuzzed = makeBad(random, badSoFar);
                expected[messages.Count] = fuzzed;
                messages.Add((random.Next(2) == 0 ? null : ReliabilityFixture.Key(-1 - badSoFar), fuzzed.Value!));
                badSoFar++;
            }
            else
            {
                messages.Add((ReliabilityFixture.Key(goodSoFar), makeGood(random, goodSoFar)));
                goodSoFar++;
            }
        }
        output.WriteLine($"{good} good and {bad} fuzzed messages ({messages.Sum(m => m.Value?.Length ?? 0) / 1e6:F1} MB); " +
                         string.Join(", ", expected.Values.GroupBy(e => e.Fuzz).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));

        using var scenario = new DaemonScenario(fixture, fixture.Cluster, output, name, batchSize: 64, checkpointEveryEvents: 2048,
            extraArguments: ["--Streaming:MaxBatchWaitMilliseconds=200", .. arguments]);
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
        var byKind = expected.Values.GroupBy(e => e.Kind).ToDictionary(g => g.Key, g => (long)g.Count());
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
            Assert.True(fuzzed.Kind == letter.GetProperty("kind").GetString(),
                $"offset {offset} ({fuzzed.Fuzz}) was dead-lettered as {letter.GetProperty("kind").GetString()}, not {fuzzed.Kind}: {letter.GetProperty("reason").GetString()}");
            Assert.False(string.IsNullOrWhiteSpace(letter.GetProperty("reason").GetString()));
            Assert.Equal(fuzzed.Value ?? [], letter.GetProperty("payload").GetBytesFromBase64());
        }
        Assert.Equal(expected.Keys.Order(), letters.Select(l => l.GetProperty("sourceOffset").GetInt64()).Order());

        using var final = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        Assert.Equal(messages.Count, CheckpointInspection.Consumed(final.Manifest));
        Assert.Equal(good, CheckpointInspection.Trained(final.Manifest));
        Assert.Equal(messages.Count, CheckpointInspection.NextOffset(final.Manifest, scenario.Topic));
        foreach (var (kind, count) in byKind)
            Assert.Equal(count, StreamingCounters.From(final.Manifest).DeadLettered.GetValueOrDefault(kind));
        scenario.Succeeded();
        output.WriteLine($"dead-lettered {bad} of {bad} fuzzed ({string.Join(", ", byKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}); " +
                         $"trained {good} of {good} good; 0 exits");
    }
}
