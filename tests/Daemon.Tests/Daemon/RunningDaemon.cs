using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Daemon.Hosting;

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

    public DaemonSnapshot Current => _status.Current;

    /// <summary>The daemon's Kafka: the configured brokers, or its embedded broker and producer.</summary>
    public KafkaConnection Kafka => _app.Services.GetRequiredService<KafkaConnection>();

    /// <summary>No credentials unless a request adds them (see <see cref="PostAsync"/>).</summary>
    public HttpClient Http { get; }

    public static async Task<RunningDaemon> StartAsync(DaemonSetup setup)
    {
        var errors = new StringWriter();
        var app = DaemonHost.TryBuild(setup.Overrides(), errors);
        Assert.True(app is not null, $"The test configuration is invalid: {errors}");
        await app.StartAsync();
        // Admin:Port=0: the address the port was bound to, with the port the system chose.
        return new RunningDaemon(app, new Uri(app.Urls.Single()));
    }

    /// <summary>Starts a daemon and waits until it streams, its consumer assigned its partitions.</summary>
    public static async Task<RunningDaemon> StartStreamingAsync(DaemonSetup setup)
    {
        var daemon = await StartAsync(setup);
        // Kafka counts as reachable from the first assignment on.
        await daemon.WaitUntilAsync(s => s.Phase == DaemonPhase.Streaming && s.KafkaReachable, "the daemon streams from its assigned partitions");
        return daemon;
    }

    /// <summary>Polls the status until <paramref name="condition"/> holds; fails at once if the daemon failed.</summary>
    public Task<DaemonSnapshot> WaitUntilAsync(Func<DaemonSnapshot, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.Until(() => Current, s => s.Phase == DaemonPhase.Failed ? throw new InvalidOperationException($"The daemon failed: {s.FailureReason}") : condition(s),
            what, Describe, timeout);

    public Task<DaemonSnapshot> WaitUntilTrainedAsync(long events) => WaitUntilAsync(s => s.EventsTrained >= events, $"{events} events are trained");

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
        Assert.True(Current.Phase == DaemonPhase.Stopping, $"After a graceful stop: {Describe(Current)}");
    }

    public static string Describe(DaemonSnapshot s) =>
        $"phase {s.Phase}{(s.FailureReason is null ? "" : $" ({s.FailureReason})")}, consumed {s.EventsConsumed}, trained {s.EventsTrained}, " +
        $"batches {s.Batches}, dead-lettered {s.DeadLettered.Values.Sum()}, paused {s.Paused}, Kafka reachable {s.KafkaReachable} {s.KafkaError}, " +
        $"checkpoints {s.CheckpointsWritten} (last {s.LastCheckpointId}), partitions [{string.Join(", ", s.Partitions.Select(p => $"{p.Partition}@{p.Position}/{p.HighWatermark}"))}]";

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
