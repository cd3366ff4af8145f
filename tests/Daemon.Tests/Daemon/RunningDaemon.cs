using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The real daemon host (<see cref="DaemonHost.TryBuild"/>) started in-process on a free loopback port: its admin
/// API over HTTP, its <see cref="DaemonStatus"/> for waiting, and a graceful stop as on SIGTERM.
/// </summary>
internal sealed class RunningDaemon : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly DaemonStatus _status;
    private bool _stopped;

    private RunningDaemon(WebApplication app, Uri address)
    {
        _app = app;
        _status = app.Services.GetRequiredService<DaemonStatus>();
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public StatusSnapshot Current => _status.Snapshot();

    /// <summary>The daemon's Kafka: the configured brokers, or its embedded broker and producer.</summary>
    public KafkaEndpoint Kafka => _app.Services.GetRequiredService<KafkaEndpoint>();

    /// <summary>No credentials unless a request adds them (see <see cref="PostAsync"/>).</summary>
    public HttpClient Http { get; }

    public static async Task<RunningDaemon> StartAsync(DaemonSetup setup)
    {
        var errors = new StringWriter();
        var app = DaemonHost.TryBuild(setup.Overrides(), errors, setup.EnvironmentName);
        Assert.True(app is not null, $"The test configuration is invalid: {errors}");
        await app.StartAsync();
        // Admin:Port=0: the address the port was bound to, with the port the system chose.
        return new RunningDaemon(app, new Uri(app.Urls.Single()));
    }

    /// <summary>Starts a daemon and waits until it streams, its consumer assigned its partitions.</summary>
    public static async Task<RunningDaemon> StartStreamingAsync(DaemonSetup setup)
    {
        var daemon = await StartAsync(setup);
        await daemon.WaitUntilAsync(s => s.Activity.Activity == DaemonActivity.Streaming && s.Reader.Partitions.Count > 0, "the daemon streams from its assigned partitions");
        return daemon;
    }

    /// <summary>Polls the status until <paramref name="condition"/> holds; fails at once if the daemon failed.</summary>
    public Task<StatusSnapshot> WaitUntilAsync(Func<StatusSnapshot, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.Until(() => Current, s => s.Activity.Activity == DaemonActivity.Failed ? throw new InvalidOperationException($"The daemon failed: {s.Activity.FailureReason}") : condition(s),
            what, Describe, timeout);

    public Task<StatusSnapshot> WaitUntilTrainedAsync(long events) => WaitUntilAsync(s => s.Streaming.EventsTrained >= events, $"{events} events are trained");

    /// <summary>A POST with <paramref name="token"/> as bearer token (none when null).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return Http.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Stops as on SIGTERM: the trainer drains what was read, writes a last checkpoint and commits.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        using var timeout = new CancellationTokenSource(StopTimeout);
        await _app.StopAsync(timeout.Token);
        Assert.False(timeout.IsCancellationRequested, $"The daemon took more than {StopTimeout.TotalSeconds} s to stop.");
        Assert.True(Current.Activity.Activity == DaemonActivity.Stopping, $"After a graceful stop: {Describe(Current)}");
    }

    public static string Describe(StatusSnapshot s) =>
        $"phase {s.Activity.Activity}{(s.Activity.FailureReason is null ? "" : $" ({s.Activity.FailureReason})")}, consumed {s.Streaming.EventsConsumed}, trained {s.Streaming.EventsTrained}, " +
        $"batches {s.Streaming.Batches}, dead-lettered {s.Streaming.DeadLettered.Values.Sum()}, paused {s.Reader.Paused}, Kafka reachable {s.Reader.Reachable} {s.Reader.Error}, " +
        $"checkpoints {s.Checkpoints.Written} (last {s.Checkpoints.LastId}), partitions [{string.Join(", ", s.Reader.Partitions.Select(p => $"{p.Partition}@{p.Position}/{p.HighWatermark}"))}]";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_stopped)
            {
                _stopped = true;
                using var timeout = new CancellationTokenSource(StopTimeout);
                await _app.StopAsync(timeout.Token);
            }
        }
        finally
        {
            Http.Dispose();
            await _app.DisposeAsync();
        }
    }
}
