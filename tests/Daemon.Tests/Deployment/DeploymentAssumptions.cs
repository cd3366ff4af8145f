namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The figures the deployment files are sized for (docs/operations.md states them too).</summary>
internal static class DeploymentAssumptions
{
    /// <summary>
    /// The longest a checkpoint may take: seconds for the default model, a few minutes for a large one.
    /// Shutdown writes one, so every stop timeout must outlast it; restoring one before the admin port
    /// answers takes about as long.
    /// </summary>
    public static readonly TimeSpan LongestCheckpoint = TimeSpan.FromMinutes(5);

    public const int AdminPort = 8080;

    public const string CheckpointDirectory = "/var/lib/recurring/checkpoints";

    /// <summary>The non-root "app" user of the .NET container images (APP_UID).</summary>
    public const long ImageUserId = 1654;
}
