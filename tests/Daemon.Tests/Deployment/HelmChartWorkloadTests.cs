using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The Deployment: one writer, probes on the admin port, time to write the final checkpoint.</summary>
public sealed class HelmChartWorkloadTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void Deployment_runs_a_single_replica()
    {
        Assert.Equal("1", chart.Deployment.Mapping("spec").Scalar("replicas"));
    }

    [Fact]
    public void Deployment_stops_the_old_pod_before_starting_a_new_one()
    {
        Assert.Equal("Recreate", chart.Deployment.Mapping("spec").Mapping("strategy").Scalar("type"));
    }

    [Theory]
    [InlineData("livenessProbe", "/health/live")]
    [InlineData("readinessProbe", "/health/ready")]
    [InlineData("startupProbe", "/health/live")]
    public void Probe_gets_its_health_path_on_the_admin_port(string probe, string path)
    {
        var httpGet = chart.Container.Mapping(probe).Mapping("httpGet");

        Assert.Equal(path, httpGet.Scalar("path"));
        Assert.Equal("admin", httpGet.Scalar("port"));
    }

    [Fact]
    public void Startup_probe_waits_longer_than_restoring_a_checkpoint_takes()
    {
        var startup = chart.Container.Mapping("startupProbe");
        var budget = TimeSpan.FromSeconds(
            int.Parse(startup.Scalar("periodSeconds")) * int.Parse(startup.Scalar("failureThreshold")));

        Assert.True(budget > DeploymentAssumptions.LongestCheckpoint, $"startup budget {budget}");
    }

    [Fact]
    public void Admin_port_is_the_container_port_named_admin()
    {
        var port = chart.ContainerPort("admin");

        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), port.Scalar("containerPort"));
        Assert.Equal(port.Scalar("containerPort"), chart.EnvironmentValue("RECURRING_Admin__Port"));
    }

    [Fact]
    public void Admin_endpoint_listens_on_all_interfaces_so_probes_reach_it()
    {
        Assert.Equal("0.0.0.0", chart.EnvironmentValue("RECURRING_Admin__BindAddress"));
    }

    [Fact]
    public void Service_forwards_the_admin_port_to_the_container()
    {
        var port = (YamlMappingNode)chart.Single("Service").Mapping("spec").Sequence("ports").Children.Single();

        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), port.Scalar("port"));
        Assert.Equal("admin", port.Scalar("targetPort"));
    }

    [Fact]
    public void Termination_grace_period_outlasts_the_longest_checkpoint()
    {
        var grace = TimeSpan.FromSeconds(int.Parse(chart.PodSpec.Scalar("terminationGracePeriodSeconds")));

        Assert.True(grace > DeploymentAssumptions.LongestCheckpoint, $"grace period {grace}");
    }

    [Fact]
    public void Host_shutdown_timeout_outlasts_the_longest_checkpoint_and_ends_within_the_grace_period()
    {
        var hostTimeout = TimeSpan.FromSeconds(int.Parse(chart.EnvironmentValue("DOTNET_shutdownTimeoutSeconds")));
        var grace = TimeSpan.FromSeconds(int.Parse(chart.PodSpec.Scalar("terminationGracePeriodSeconds")));

        Assert.InRange(hostTimeout, DeploymentAssumptions.LongestCheckpoint, grace - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Maintenance_mode_replaces_the_daemon_with_an_idle_process_and_drops_the_probes()
    {
        var maintenance = Helm.Template("ci/maintenance-values.yaml");

        Assert.Equal(["sleep", "infinity"], maintenance.Container.Sequence("command").Scalars());
        Assert.All(new[] { "startupProbe", "livenessProbe", "readinessProbe" },
            probe => Assert.Null(maintenance.Container.Child(probe)));
    }
}
