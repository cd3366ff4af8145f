using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Deployment;

public sealed class SystemdUnitTests
{
    private readonly SystemdUnit unit = SystemdUnit.Load("deploy/systemd/recurring.service");

    [Fact]
    public void Service_reports_readiness_through_sd_notify()
    {
        Assert.Equal("notify", unit.Value("Service", "Type"));
    }

    [Fact]
    public void Service_starts_recurring_run()
    {
        Assert.EndsWith("/recurring run", unit.Value("Service", "ExecStart"));
    }

    [Fact]
    public void Service_restarts_after_a_failure()
    {
        Assert.Equal("on-failure", unit.Value("Service", "Restart"));
    }

    [Fact]
    public void Stop_timeout_outlasts_the_longest_checkpoint()
    {
        var stopTimeout = SystemdUnit.ParseTimeSpan(unit.Value("Service", "TimeoutStopSec"));

        Assert.True(stopTimeout > DeploymentAssumptions.LongestCheckpoint, $"TimeoutStopSec {stopTimeout}");
    }

    [Fact]
    public void Host_shutdown_timeout_outlasts_the_longest_checkpoint_and_ends_within_the_stop_timeout()
    {
        var hostTimeout = TimeSpan.FromSeconds(int.Parse(unit.ServiceEnvironment()["DOTNET_shutdownTimeoutSeconds"]));
        var stopTimeout = SystemdUnit.ParseTimeSpan(unit.Value("Service", "TimeoutStopSec"));

        Assert.InRange(hostTimeout, DeploymentAssumptions.LongestCheckpoint, stopTimeout - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Start_is_not_timed_out_during_a_long_offline_phase()
    {
        Assert.Equal("infinity", unit.Value("Service", "TimeoutStartSec"));
    }

    [Fact]
    public void Service_runs_as_a_dedicated_unprivileged_user()
    {
        Assert.Equal("recurring", unit.Value("Service", "User"));
    }

    [Fact]
    public void Service_holds_no_capabilities()
    {
        Assert.Equal("", unit.Value("Service", "CapabilityBoundingSet"));
        Assert.Equal("", unit.Value("Service", "AmbientCapabilities"));
    }

    [Fact]
    public void Service_cannot_gain_new_privileges()
    {
        Assert.Equal("yes", unit.Value("Service", "NoNewPrivileges"));
    }

    [Fact]
    public void File_system_is_read_only_to_the_service()
    {
        Assert.Equal("strict", unit.Value("Service", "ProtectSystem"));
    }

    [Fact]
    public void Service_gets_a_private_tmp()
    {
        Assert.Equal("yes", unit.Value("Service", "PrivateTmp"));
    }

    [Theory]
    [InlineData("RECURRING_Checkpoints__Directory")]
    [InlineData("RECURRING_Streaming__DeadLetterFile")]
    public void Path_the_daemon_writes_is_in_a_writable_path(string variable)
    {
        var path = unit.ServiceEnvironment()[variable];
        var writablePaths = unit.Values("Service", "ReadWritePaths")
            .SelectMany(value => value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(entry => entry.TrimStart('-', '+').TrimEnd('/'));

        Assert.Contains(writablePaths, writable => path == writable || path.StartsWith(writable + "/"));
    }

    [Fact]
    public void Checkpoint_directory_is_the_documented_one()
    {
        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, unit.ServiceEnvironment()["RECURRING_Checkpoints__Directory"]);
    }

    [Fact]
    public void Secrets_come_from_an_environment_file()
    {
        Assert.Contains(unit.Values("Service", "EnvironmentFile"), file => file.TrimStart('-').StartsWith("/etc/recurring/"));
    }

    [Fact]
    public void Every_environment_name_is_one_systemd_accepts()
    {
        // systemd drops names outside [A-Za-z_][A-Za-z0-9_]* with a warning, e.g. ...Properties__sasl.password.
        Assert.All(unit.ServiceEnvironment().Keys, name => Assert.Matches(new Regex("^[A-Za-z_][A-Za-z0-9_]*$"), name));
    }
}
