using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Daemon.Kafka;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// Broker outage: every broker goes away mid-stream for longer than the consumer's session timeout, while events
/// keep being produced, then comes back. The daemon is not ready during the outage, does not crash, resumes, and in
/// the end has consumed and trained every event exactly once.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BrokerOutageTests(ReliabilityFixture fixture, ITestOutputHelper output)
{
    private const int SessionTimeoutMilliseconds = 3_000;

    [Fact]
    public async Task OutageLongerThanTheSessionTimeoutLosesNothingAndTrainsNothingTwice()
    {
        int events = ReliabilityFixture.Soak ? 12_000 : 6_000;
        double perSecond = ReliabilityFixture.Soak ? 300 : 500;
        var outage = TimeSpan.FromMilliseconds(ReliabilityFixture.Soak ? 20_000 : 8_000);
        // This scenario takes its brokers down: a cluster of its own.
        using var cluster = new EmbeddedKafkaCluster();
        using var scenario = new DaemonScenario(fixture, cluster, output, "outage", batchSize: 32, checkpointEveryEvents: 512,
            extraArguments: ["--Streaming:MaxBatchWaitMilliseconds=200"]);
        using var daemon = await scenario.StartAsync();
        await scenario.WaitForStatusAsync(daemon, DaemonScenario.IsStreaming, TimeSpan.FromMinutes(1), "streaming");

        using var producer = new SyntheticEventProducer(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = 120_000, // longer than the outage: the producer's events wait for the brokers
        }, scenario.Topic, fixture.Generator, NullLogger.Instance);
        var production = producer.ProduceAsync(ReliabilityFixture.FirstStreamingEvent, events, perSecond, CancellationToken.None);

        // Mid-stream: once the daemon has trained a good part of what was produced so far.
        await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Trained(s) >= events / 4, TimeSpan.FromMinutes(1), "a quarter of the events");
        Assert.Equal(HttpStatusCode.OK, await daemon.ReadinessAsync());
        var clock = Stopwatch.StartNew();
        cluster.SetBrokersDown(true);
        var readiness = new List<(TimeSpan At, HttpStatusCode? Code)>();
        long trainedAtDown = -1, trainedAtUp = -1;
        while (clock.Elapsed < outage)
        {
            readiness.Add((clock.Elapsed, await daemon.ReadinessAsync()));
            if (trainedAtDown < 0 && await daemon.StatusAsync() is { } s) trainedAtDown = DaemonScenario.Trained(s);
            Assert.False(daemon.HasExited, "the daemon exited during the outage");
            await Task.Delay(200);
        }
        if (await daemon.StatusAsync() is { } atUp) trainedAtUp = DaemonScenario.Trained(atUp);
        cluster.SetBrokersDown(false);
        output.WriteLine($"brokers down for {clock.Elapsed.TotalSeconds:F1} s (session timeout {SessionTimeoutMilliseconds / 1000} s); " +
                         $"trained {trainedAtDown} when they went down, {trainedAtUp} when they came back");

        var notReady = readiness.Where(r => r.Code == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(notReady);
        Assert.DoesNotContain(readiness, r => r.Code is null); // the admin port answered throughout
        output.WriteLine($"readiness during the outage: {notReady.Count} of {readiness.Count} probes 503, first at {notReady[0].At.TotalSeconds:F1} s; " +
                         $"last probe {readiness[^1].Code}");

        await production;
        await producer.FlushAsync(CancellationToken.None);
        Assert.Equal(events, producer.Delivered);
        Assert.Equal(0, producer.Failed);

        var recovered = Stopwatch.StartNew();
        var final = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) >= events, TimeSpan.FromMinutes(2), $"all {events} events");
        var caughtUp = recovered.Elapsed;
        await WaitForReadyAsync(scenario, daemon);
        output.WriteLine($"caught up {caughtUp.TotalSeconds:F1} s after the brokers came back and production ended; ready again after {recovered.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(1000); // anything read twice would show up now
        final = (await daemon.StatusAsync())!.Value;
        Assert.Equal(events, DaemonScenario.Consumed(final));
        Assert.Equal(events, DaemonScenario.Trained(final));
        Assert.Equal(0, DaemonScenario.DeadLettered(final));
        // The path that matters: the lapsed session lost the partition, and it came back at the model's position.
        var lines = daemon.Lines.ToList();
        int lost = lines.FindIndex(l => l.Contains($"Partitions lost: {scenario.Topic}", StringComparison.Ordinal));
        Assert.True(lost >= 0, "the session lapsed during the outage and the partition was lost");
        var reassigned = lines.Skip(lost).Select(l => Regex.Match(l, $@"Assigned {scenario.Topic}\[0\]@(\d+)")).FirstOrDefault(m => m.Success);
        Assert.True(reassigned is not null, "the partition was assigned again");
        long resumedAt = long.Parse(reassigned.Groups[1].Value);
        Assert.True(resumedAt > 0, "the partition resumed at the model's position, not at the beginning");
        output.WriteLine($"partition lost during the outage, assigned again at offset {resumedAt}");
        await scenario.StopAsync(daemon);

        using var checkpoint = await CheckpointInspection.RestoreNewestAsync(scenario.Checkpoints);
        Assert.Equal(events, CheckpointInspection.Consumed(checkpoint.Manifest));
        Assert.Equal(events, CheckpointInspection.Trained(checkpoint.Manifest));
        Assert.Equal(events, CheckpointInspection.NextOffset(checkpoint.Manifest, scenario.Topic));
        scenario.Succeeded();
        output.WriteLine($"final checkpoint: {events} consumed, {events} trained, next offset {events}; 0 lost, 0 trained twice");
    }

    private static async Task WaitForReadyAsync(DaemonScenario scenario, DaemonProcess daemon)
    {
        var deadline = Stopwatch.StartNew();
        while (await daemon.ReadinessAsync() != HttpStatusCode.OK)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) scenario.Fail("the daemon did not become ready again within 60 s of the brokers' return");
            await Task.Delay(200);
        }
    }
}
