using System.Net;

namespace Recurring.Daemon.Admin;

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

    /// <summary>While streaming, /health/ready fails when the last checkpoint is older than this.</summary>
    public int ReadyMaxCheckpointAgeSeconds { get; set; } = 900;

    public bool BindsLoopbackOnly => IPAddress.TryParse(BindAddress, out var address) ? IPAddress.IsLoopback(address) : BindAddress == "localhost";

    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(BindAddress, out _) && BindAddress != "localhost")
            yield return $"{Section}:BindAddress must be an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, not '{BindAddress}'.";
        if (Port is < 0 or > 65535) yield return $"{Section}:Port must lie between 0 and 65535, not {Port}.";
        if (ReadyMaxCheckpointAgeSeconds < 1) yield return $"{Section}:ReadyMaxCheckpointAgeSeconds must be at least 1, not {ReadyMaxCheckpointAgeSeconds}.";
        if (AllowUnauthenticatedLoopback && !BindsLoopbackOnly)
            yield return $"{Section}:AllowUnauthenticatedLoopback needs {Section}:BindAddress to be a loopback address, not '{BindAddress}'.";
        if (Token.Length is > 0 and < 16) yield return $"{Section}:Token must be at least 16 characters when set.";
    }
}
