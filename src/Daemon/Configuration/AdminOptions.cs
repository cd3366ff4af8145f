using System.Net;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Admin": the admin HTTP port (health, metrics, status, control).</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Loopback by default: exposing the port is a deliberate act (the container image sets 0.0.0.0).</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Bearer token the mutating routes require. Without one they are refused.</summary>
    public string Token { get; set; } = "";

    /// <summary>Allows the mutating routes without a token, but only when the port is bound to loopback.</summary>
    public bool AllowUnauthenticatedLoopback { get; set; }

    /// <summary>
    /// While streaming, /health/ready fails when events trained this long ago are still in no checkpoint (checkpoints
    /// failing, or not coming). An idle topic or a pause leaves nothing to checkpoint and keeps the daemon ready.
    /// </summary>
    [AtLeast(1)]
    public int ReadyMaxCheckpointAgeSeconds { get; set; } = 900;

    /// <summary>
    /// /health/live fails when the training loop has not moved for this long: longer than the longest checkpoint write
    /// or restore, which are the only long stretches without a heartbeat.
    /// </summary>
    [AtLeast(1)]
    public int LivenessTimeoutSeconds { get; set; } = 600;

    /// <summary>The live page's charts: one sample of the status every this many seconds (at least 0.05)...</summary>
    public double SeriesIntervalSeconds { get; set; } = 5;

    /// <summary>...of which the daemon keeps this many (the default: 12 hours at 5 s, a few megabytes).</summary>
    [AtLeast(1)]
    public int SeriesCapacity { get; set; } = 8640;

    public bool BindsLoopbackOnly => IPAddress.TryParse(BindAddress, out var address) ? IPAddress.IsLoopback(address) : BindAddress == "localhost";
}
