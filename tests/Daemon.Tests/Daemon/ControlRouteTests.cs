using System.Net;
using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class ControlRouteTests(KafkaClusterFixture kafka)
{
    private static readonly string[] Routes = ["/checkpoints", "/pause", "/resume"];

    /// <summary>Long enough for a paused daemon to have trained what it was given many times over (batches wait at most 50 ms).</summary>
    private static readonly TimeSpan PauseObservation = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task Control_routes_answer_401_without_the_token_or_with_a_wrong_one()
    {
        using var setup = new DaemonSetup(kafka);
        await using var daemon = await RunningDaemon.StartAsync(setup);

        foreach (var route in Routes)
        {
            foreach (var token in new[] { null, "wrong-token-but-long-enough", DaemonSetup.Token + "x", DaemonSetup.Token[..^1] })
            {
                using var response = await daemon.PostAsync(route, token);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"POST {route} with token '{token}': {(int)response.StatusCode}");
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            }
        }
    }

    [Fact]
    public async Task Control_routes_answer_403_when_no_token_is_configured()
    {
        using var setup = new DaemonSetup(kafka).With("Admin:Token", "");
        await using var daemon = await RunningDaemon.StartAsync(setup);

        foreach (var route in Routes)
        {
            foreach (var token in new[] { null, DaemonSetup.Token })
            {
                using var response = await daemon.PostAsync(route, token);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"POST {route} with token '{token}': {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Post_checkpoints_with_the_token_writes_a_checkpoint_and_returns_its_id()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(100);
        await daemon.WaitUntilTrainedAsync(100);

        using var response = await daemon.PostAsync("/checkpoints", DaemonSetup.Token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = JsonDocument.Parse(body).RootElement;
        var id = answer.GetProperty("id").GetString();
        Assert.True(answer.GetProperty("bytes").GetInt64() > 0);

        Assert.Equal(id, daemon.Current.LastCheckpointId);
        var written = (await Checkpoints.ListAsync(setup))[^1];
        Assert.Equal(id, written.Id);
        Assert.Equal(PhaseKind.Streaming, written.Manifest!.Phase.Kind);
        Assert.Equal(100, written.Manifest.Counters.Other[StreamingTrainer.TrainedCounter]);
        var listed = (await daemon.GetJsonAsync("/checkpoints")).EnumerateArray().Select(c => c.GetProperty("id").GetString());
        Assert.Contains(id, listed);
    }

    [Fact]
    public async Task Pause_with_the_token_stops_training_while_events_arrive_and_resume_continues_it()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(100);
        await daemon.WaitUntilTrainedAsync(100);

        using (var paused = await daemon.PostAsync("/pause", DaemonSetup.Token)) Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        await daemon.WaitUntilAsync(s => s.Paused, "the reader has paused");
        await topic.ProduceEventsAsync(200);
        // Nothing more is consumed while paused, although the events are there.
        var observationEnds = DateTime.UtcNow + PauseObservation;
        while (DateTime.UtcNow < observationEnds)
        {
            var now = daemon.Current;
            Assert.True(now.EventsConsumed == 100 && now.EventsTrained == 100, $"While paused: {RunningDaemon.Describe(now)}");
            await Task.Delay(50);
        }
        Assert.Equal("true", (await daemon.GetJsonAsync("/status")).GetProperty("paused").GetRawText());

        using (var resumed = await daemon.PostAsync("/resume", DaemonSetup.Token)) Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var done = await daemon.WaitUntilTrainedAsync(300);
        Assert.Equal(300, done.EventsTrained);
        await daemon.WaitUntilAsync(s => !s.Paused, "the reader reports it resumed");
        Assert.Equal(DaemonPhase.Streaming, daemon.Current.Phase);
    }
}
