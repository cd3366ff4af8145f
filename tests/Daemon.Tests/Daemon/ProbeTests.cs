using System.Diagnostics;
using System.Net;
using Recurring.Daemon.Tests.Kafka;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// Probes that judge health from the training itself: liveness from a heartbeat of the training loop, readiness from
/// how long trained events have waited for a checkpoint, not from the last checkpoint's age.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class ProbeTests(KafkaClusterFixture kafka, ITestOutputHelper output)
{
    /// <summary>
    /// The dead-letter file is a FIFO nobody reads: opening it blocks the trainer, as a write to a hung network mount
    /// would. Liveness fails, so Kubernetes would restart the process; once the loop moves again, it passes.
    /// </summary>
    [Fact]
    public async Task AWedgedTrainingLoopFailsLivenessAndPassesAgainOnceItMoves()
    {
        using var setup = new DaemonSetup(kafka, partitions: 1).With("Admin:LivenessTimeoutSeconds", "2");
        using (var mkfifo = Process.Start("mkfifo", setup.DeadLetterFile)) await mkfifo.WaitForExitAsync();
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        Task draining;
        await using (var daemon = await RunningDaemon.StartStreamingAsync(setup))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusCodeAsync(daemon, "/health/live"));

            await topic.ProduceAsync([(null, "not a click event"u8.ToArray())]);
            var clock = Stopwatch.StartNew();
            var wedged = await Eventually.Until(() => BodyAsync(daemon, "/health/live"), r => r.Code == HttpStatusCode.ServiceUnavailable,
                "/health/live fails", r => $"{(int)r.Code} {r.Body}");
            Assert.Contains("the training loop has not moved for", wedged.Body);
            output.WriteLine($"/health/live 503 {clock.Elapsed.TotalSeconds:F1} s after the event that wedges the trainer (limit 2 s): {wedged.Body}");

            // Reads until the daemon closes the file, when it is disposed.
            draining = Task.Run(() =>
            {
                using var fifo = new FileStream(setup.DeadLetterFile, FileMode.Open, FileAccess.Read);
                var buffer = new byte[4096];
                while (fifo.Read(buffer) > 0)
                {
                }
            });
            clock.Restart();
            await Eventually.Until(() => StatusCodeAsync(daemon, "/health/live"), code => code == HttpStatusCode.OK, "/health/live passes again", code => $"{(int)code}");
            output.WriteLine($"/health/live 200 again {clock.Elapsed.TotalSeconds:F1} s after the trainer could move");
            await daemon.WaitUntilAsync(s => s.Streaming.DeadLettered.Values.Sum() == 1, "the event is dead-lettered");
            await daemon.StopAsync();
        }
        await draining.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Readiness fails when trained events wait too long for a checkpoint (Admin:ReadyMaxCheckpointAgeSeconds), not when
    /// the last checkpoint is merely old: an idle topic, or a pause, leaves nothing to checkpoint.
    /// </summary>
    [Fact]
    public async Task ReadinessHoldsOnAnIdleTopicAndWhilePausedAndFailsWhenTrainedEventsWaitTooLongForACheckpoint()
    {
        const int limitSeconds = 1;
        using var setup = new DaemonSetup(kafka, partitions: 1)
            .With("Admin:ReadyMaxCheckpointAgeSeconds", $"{limitSeconds}")
            .With("Checkpoints:EveryEvents", "64");
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(64);
        await daemon.WaitUntilTrainedAsync(64);
        await Eventually.Until(() => Checkpoints.StreamingManifestsAsync(setup), m => m.Count == 1, "the 64 events are checkpointed", m => $"{m.Count} streaming checkpoints");

        // Idle: the last checkpoint ages past the limit, with nothing waiting for one.
        await Task.Delay(TimeSpan.FromSeconds(2 * limitSeconds + 0.5));
        double idleAge = daemon.Current.CheckpointAgeSeconds!.Value;
        Assert.True(idleAge > limitSeconds);
        Assert.Equal(HttpStatusCode.OK, await StatusCodeAsync(daemon, "/health/ready"));

        (await daemon.PostAsync("/pause", DaemonSetup.Token)).EnsureSuccessStatusCode();
        await daemon.WaitUntilAsync(s => s.Reader.Paused, "training is paused");
        await Task.Delay(TimeSpan.FromSeconds(limitSeconds + 0.5));
        Assert.Equal(HttpStatusCode.OK, await StatusCodeAsync(daemon, "/health/ready"));
        (await daemon.PostAsync("/resume", DaemonSetup.Token)).EnsureSuccessStatusCode();

        // Half a checkpoint's worth: trained, but no checkpoint is due for it.
        await topic.ProduceEventsAsync(32);
        await daemon.WaitUntilTrainedAsync(96);
        var waiting = await Eventually.Until(() => BodyAsync(daemon, "/health/ready"), r => r.Code == HttpStatusCode.ServiceUnavailable,
            "/health/ready fails", r => $"{(int)r.Code} {r.Body}");
        Assert.Contains("in no checkpoint yet", waiting.Body);
        output.WriteLine($"ready on an idle topic and while paused with the last checkpoint {idleAge:F1} s old (limit {limitSeconds} s); then: {waiting.Body}");
        await daemon.StopAsync();
    }

    private static async Task<HttpStatusCode> StatusCodeAsync(RunningDaemon daemon, string path) => (await BodyAsync(daemon, path)).Code;

    private static async Task<(HttpStatusCode Code, string Body)> BodyAsync(RunningDaemon daemon, string path)
    {
        using var response = await daemon.Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
