using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Deployment;

public sealed class SystemdUnitTests
{
    private readonly SystemdUnit unit = SystemdUnit.Load("deploy/systemd/recurring.service");

    [Fact]
    public void ServiceReportsReadinessThroughSdNotify()
    {
        Assert.Equal("notify", unit.Value("Service", "Type"));
    }

    [Fact]
    public void ServiceStartsRecurringRun()
    {
        Assert.EndsWith("/recurring run", unit.Value("Service", "ExecStart"));
    }

    [Fact]
    public void ServiceRestartsAfterAFailure()
    {
        Assert.Equal("on-failure", unit.Value("Service", "Restart"));
    }

    [Fact]
    public void ConfigurationErrorsWhichExitWithCode2AreNotRestartedInALoop()
    {
        Assert.Equal("2", unit.Value("Service", "RestartPreventExitStatus"));
    }

    [Fact]
    public void StopTimeoutOutlastsTheLongestCheckpoint()
    {
        var stopTimeout = SystemdUnit.ParseTimeSpan(unit.Value("Service", "TimeoutStopSec"));

        Assert.True(stopTimeout > DeploymentAssumptions.LongestCheckpoint, $"TimeoutStopSec {stopTimeout}");
    }

    [Fact]
    public void HostShutdownTimeoutOutlastsTheLongestCheckpointAndEndsWithinTheStopTimeout()
    {
        var hostTimeout = TimeSpan.FromSeconds(int.Parse(unit.ServiceEnvironment()["DOTNET_shutdownTimeoutSeconds"]));
        var stopTimeout = SystemdUnit.ParseTimeSpan(unit.Value("Service", "TimeoutStopSec"));

        Assert.InRange(hostTimeout, DeploymentAssumptions.LongestCheckpoint, stopTimeout - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void StartIsNotTimedOutDuringALongOfflinePhase()
    {
        Assert.Equal("infinity", unit.Value("Service", "TimeoutStartSec"));
    }

    [Fact]
    public void ServiceRunsAsADedicatedUnprivilegedUser()
    {
        Assert.Equal("recurring", unit.Value("Service", "User"));
    }

    [Fact]
    public void ServiceHoldsNoCapabilities()
    {
        Assert.Equal("", unit.Value("Service", "CapabilityBoundingSet"));
        Assert.Equal("", unit.Value("Service", "AmbientCapabilities"));
    }

    [Fact]
    public void ServiceCannotGainNewPrivileges()
    {
        Assert.Equal("yes", unit.Value("Service", "NoNewPrivileges"));
    }

    [Fact]
    public void FileSystemIsReadOnlyToTheService()
    {
        Assert.Equal("strict", unit.Value("Service", "ProtectSystem"));
    }

    [Fact]
    public void ServiceGetsAPrivateTmp()
    {
        Assert.Equal("yes", unit.Value("Service", "PrivateTmp"));
    }

    [Theory]
    [InlineData("RECURRING_Checkpoints__Directory")]
    [InlineData("RECURRING_Streaming__DeadLetterFile")]
    public void PathTheDaemonWritesIsInAWritablePath(string variable)
    {
        var path = unit.ServiceEnvironment()[variable];
        var writablePaths = unit.Values("Service", "ReadWritePaths")
            .SelectMany(value => value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(entry => entry.TrimStart('-', '+').TrimEnd('/'));

        Assert.Contains(writablePaths, writable => path == writable || path.StartsWith(writable + "/"));
    }

    [Fact]
    public void CheckpointDirectoryIsTheDocumentedOne()
    {
        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, unit.ServiceEnvironment()["RECURRING_Checkpoints__Directory"]);
    }

    [Fact]
    public void SecretsComeFromAnEnvironmentFile()
    {
        Assert.Contains(unit.Values("Service", "EnvironmentFile"), file => file.TrimStart('-').StartsWith("/etc/recurring/"));
    }

    [Fact]
    public void EveryEnvironmentNameIsOneSystemdAccepts()
    {
        // systemd drops names outside [A-Za-z_][A-Za-z0-9_]* with a warning, e.g. ...Properties__sasl.password.
        Assert.All(unit.ServiceEnvironment().Keys, name => Assert.Matches(new Regex("^[A-Za-z_][A-Za-z0-9_]*$"), name));
    }
}
