using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Recurring.Checkpointing;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// A first run against brokers that are not there (`--Kafka:BootstrapServers=127.0.0.1:1`), as a new user meets it: the
/// daemon says so within seconds, not after its offline phase; stopped during the offline phase it says where the next
/// start resumes, and that start counts its progress from there. (With Kafka:RequireAtStart it refuses to start:
/// <see cref="Daemon.KafkaAtStartTests"/>.)
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class UnreachableKafkaTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _root = Directory.CreateTempSubdirectory("recurring-unreachable-").FullName;

    private string Checkpoints => Path.Combine(_root, "checkpoints");

    /// <summary>An offline phase far longer than the test: 2 million events.</summary>
    private IEnumerable<string> Arguments() =>
    [
        .. ReliabilityFixture.ModelArguments,
        "--Offline:SyntheticEvents=2000000",
        "--Training:Device=cpu",
        "--Kafka:BootstrapServers=127.0.0.1:1",
        $"--Checkpoints:Directory={Checkpoints}",
        "--Checkpoints:EveryEvents=1000000000",
        $"--Streaming:DeadLetterFile={Path.Combine(_root, "dead-letters.jsonl")}",
        "--Admin:Port=0",
    ];

    [Fact]
    public async Task AnUnreachableKafkaIsReportedInSecondsAndAnOfflinePhaseStoppedEarlyResumesWhereItSaid()
    {
        string stoppedAt;
        using (var first = DaemonProcess.Start(_root, Path.Combine(_root, "first.log"), Arguments()))
        {
            Assert.NotNull(await first.AdminAsync(Timeout));
            var clock = Stopwatch.StartNew();
            var kafka = await PollStatusAsync(first, s => s.GetProperty("phase").GetString() == "offline" && Kafka(s).GetProperty("error").ValueKind == JsonValueKind.String,
                "the offline phase runs with the Kafka error in /status");
            output.WriteLine($"Kafka error in /status {clock.Elapsed.TotalSeconds:F1} s after the admin port answered: {Kafka(kafka).GetProperty("error")}");
            Assert.False(Kafka(kafka).GetProperty("reachable").GetBoolean());
            Assert.Contains("Connection refused", Kafka(kafka).GetProperty("error").GetString());
            await PollStatusAsync(first, s => s.GetProperty("training").GetProperty("samples").GetInt64() > 0, "offline training has begun");

            first.Terminate();
            Assert.True(await first.WaitForExitAsync(Timeout), "no exit after SIGTERM");
            Assert.Equal(0, first.ExitCode);
            var lines = first.Lines;
            // One start line of our own; the host's lifetime lines are folded into it.
            Assert.StartsWith("Recurring is running (Production environment, Kafka: 127.0.0.1:1). Admin: http://127.0.0.1:", lines[0]);
            Assert.DoesNotContain(lines, l => l.Contains("Application started") || l.Contains("Content root path") || l.Contains("Hosting environment") ||
                                              l.Contains("Now listening on") || l.Contains("Application is shutting down"));
            // Said once, not at every reconnect.
            Assert.Single(lines, l => l.Contains("Kafka at 127.0.0.1:1 does not answer", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("Kafka client error", StringComparison.Ordinal));
            var stopped = lines.Select(l => StoppedLine().Match(l)).Single(m => m.Success);
            Assert.True(long.Parse(stopped.Groups["step"].Value, System.Globalization.NumberStyles.AllowThousands) > 0);
            Assert.Equal("31,250", stopped.Groups["total"].Value); // 2,000,000 events in batches of 64
            stoppedAt = stopped.Groups["id"].Value;
            Assert.True(Directory.Exists(Path.Combine(Checkpoints, stoppedAt)), $"{stoppedAt} was not written");
        }
        var manifest = (await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Checkpoints }).VerifyAsync(stoppedAt, CancellationToken.None)).Manifest!;

        using var resumed = DaemonProcess.Start(_root, Path.Combine(_root, "resumed.log"), Arguments());
        Assert.NotNull(await resumed.AdminAsync(Timeout));
        // Every look at the progress, from the start of the resumed offline phase until it trains on, counts from the restored samples.
        var seen = new List<long>();
        await PollStatusAsync(resumed, s =>
        {
            if (s.GetProperty("phase").GetString() != "offline") return false;
            seen.Add(s.GetProperty("training").GetProperty("samples").GetInt64());
            return seen[^1] > manifest.Counters.Samples;
        }, "the resumed offline phase trains on");
        Assert.True(seen.All(samples => samples >= manifest.Counters.Samples),
            $"progress after the resume counted from 0, not from the {manifest.Counters.Samples} samples restored: {string.Join(", ", seen.Distinct())}");
        resumed.Terminate();
        Assert.True(await resumed.WaitForExitAsync(Timeout), "no exit after SIGTERM");
    }

    private static JsonElement Kafka(JsonElement status) => status.GetProperty("kafka");

    private static async Task<JsonElement> PollStatusAsync(DaemonProcess daemon, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline && !daemon.HasExited)
        {
            if (await daemon.StatusAsync() is { } status)
            {
                if (condition(status)) return status;
                last = status;
            }
            await Task.Delay(20);
        }
        Assert.Fail($"Waited in vain until {what}; last /status: {last}; exited: {daemon.HasExited}");
        return default;
    }

    [GeneratedRegex(@"Offline phase stopped at step (?<step>[\d,]+) of (?<total>[\d,]+) \([\d,]+ of [\d,]+ events\); the next start resumes from checkpoint (?<id>ckpt-\S+)$")]
    private static partial Regex StoppedLine();

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
