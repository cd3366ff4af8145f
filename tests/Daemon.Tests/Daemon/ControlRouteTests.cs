using System.Net;
using System.Text.Json;
using Recurring.Checkpointing;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Status;
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
    public async Task ControlRoutesAnswer401WithoutTheTokenOrWithAWrongOne()
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
    public async Task HashingEveryCheckpointNeedsTheTokenWhileTheCheapListDoesNot()
    {
        using var setup = new DaemonSetup(kafka);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);

        using var anonymous = await daemon.Http.GetAsync("/checkpoints?verify=true");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/checkpoints?verify=true");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DaemonSetup.Token);
        using var authorized = await daemon.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.All(JsonDocument.Parse(await authorized.Content.ReadAsStringAsync()).RootElement.EnumerateArray(), c => Assert.True(c.GetProperty("contentsHashed").GetBoolean()));
        Assert.NotEmpty((await daemon.GetJsonAsync("/checkpoints")).EnumerateArray());
    }

    [Fact]
    public async Task ControlRoutesAnswer403WhenNoTokenIsConfigured()
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
    public async Task PostCheckpointsWithTheTokenWritesACheckpointAndReturnsItsId()
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

        Assert.Equal(id, daemon.Current.Checkpoints.LastId);
        var written = (await Checkpoints.ListAsync(setup))[^1];
        Assert.Equal(id, written.Id);
        Assert.Equal(TrainingStage.Streaming, written.Manifest!.Stage.Kind);
        Assert.Equal(100, StreamingCounters.From(written.Manifest).Trained);
        var listed = (await daemon.GetJsonAsync("/checkpoints")).EnumerateArray().Select(c => c.GetProperty("id").GetString());
        Assert.Contains(id, listed);
    }

    [Fact]
    public async Task PauseWithTheTokenStopsTrainingWhileEventsArriveAndResumeContinuesIt()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(100);
        await daemon.WaitUntilTrainedAsync(100);

        using (var paused = await daemon.PostAsync("/pause", DaemonSetup.Token)) Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        await daemon.WaitUntilAsync(s => s.Reader.Paused, "the reader has paused");
        await topic.ProduceEventsAsync(200);
        // Nothing more is consumed while paused, although the events are there.
        var observationEnds = DateTime.UtcNow + PauseObservation;
        while (DateTime.UtcNow < observationEnds)
        {
            var now = daemon.Current;
            Assert.True(now.Streaming.EventsConsumed == 100 && now.Streaming.EventsTrained == 100, $"While paused: {RunningDaemon.Describe(now)}");
            await Task.Delay(50);
        }
        Assert.Equal("true", (await daemon.GetJsonAsync("/status")).GetProperty("paused").GetRawText());

        using (var resumed = await daemon.PostAsync("/resume", DaemonSetup.Token)) Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var done = await daemon.WaitUntilTrainedAsync(300);
        Assert.Equal(300, done.Streaming.EventsTrained);
        await daemon.WaitUntilAsync(s => !s.Reader.Paused, "the reader reports it resumed");
        Assert.Equal(DaemonActivity.Streaming, daemon.Current.Activity.Activity);
    }
}
