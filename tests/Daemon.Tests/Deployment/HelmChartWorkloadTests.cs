using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The Deployment: one writer, probes on the admin port, time to write the final checkpoint.</summary>
public sealed class HelmChartWorkloadTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void DeploymentRunsASingleReplica()
    {
        Assert.Equal("1", chart.Deployment.Mapping("spec").Scalar("replicas"));
    }

    [Fact]
    public void DeploymentStopsTheOldPodBeforeStartingANewOne()
    {
        Assert.Equal("Recreate", chart.Deployment.Mapping("spec").Mapping("strategy").Scalar("type"));
    }

    [Theory]
    [InlineData("livenessProbe", "/health/live")]
    [InlineData("readinessProbe", "/health/ready")]
    [InlineData("startupProbe", "/health/live")]
    public void ProbeGetsItsHealthPathOnTheAdminPort(string probe, string path)
    {
        var httpGet = chart.Container.Mapping(probe).Mapping("httpGet");

        Assert.Equal(path, httpGet.Scalar("path"));
        Assert.Equal("admin", httpGet.Scalar("port"));
    }

    /// <summary>
    /// /health/live fails once the training loop has been silent for Admin:LivenessTimeoutSeconds; only a checkpoint
    /// write (or a restore, as long) goes that long without a heartbeat, so the limit must outlast the longest one.
    /// </summary>
    [Fact]
    public void LivenessTimeoutOutlastsTheLongestCheckpoint()
    {
        var appsettings = System.Text.Json.Nodes.JsonNode.Parse(RepositoryLayout.ReadText("appsettings.json"))!;
        var timeout = TimeSpan.FromSeconds((int)appsettings["Admin"]!["LivenessTimeoutSeconds"]!);

        Assert.True(timeout > DeploymentAssumptions.LongestCheckpoint, $"Admin:LivenessTimeoutSeconds {timeout}");
    }

    [Fact]
    public void StartupProbeWaitsLongerThanRestoringACheckpointTakes()
    {
        var startup = chart.Container.Mapping("startupProbe");
        var budget = TimeSpan.FromSeconds(
            int.Parse(startup.Scalar("periodSeconds")) * int.Parse(startup.Scalar("failureThreshold")));

        Assert.True(budget > DeploymentAssumptions.LongestCheckpoint, $"startup budget {budget}");
    }

    [Fact]
    public void AdminPortIsTheContainerPortNamedAdmin()
    {
        var port = chart.ContainerPort("admin");

        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), port.Scalar("containerPort"));
        Assert.Equal(port.Scalar("containerPort"), chart.EnvironmentValue("RECURRING_Admin__Port"));
    }

    [Fact]
    public void AdminEndpointListensOnAllInterfacesSoProbesReachIt()
    {
        Assert.Equal("0.0.0.0", chart.EnvironmentValue("RECURRING_Admin__BindAddress"));
    }

    [Fact]
    public void ServiceForwardsTheAdminPortToTheContainer()
    {
        var port = (YamlMappingNode)chart.Single("Service").Mapping("spec").Sequence("ports").Children.Single();

        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), port.Scalar("port"));
        Assert.Equal("admin", port.Scalar("targetPort"));
    }

    [Fact]
    public void TerminationGracePeriodOutlastsTheLongestCheckpoint()
    {
        var grace = TimeSpan.FromSeconds(int.Parse(chart.PodSpec.Scalar("terminationGracePeriodSeconds")));

        Assert.True(grace > DeploymentAssumptions.LongestCheckpoint, $"grace period {grace}");
    }

    [Fact]
    public void HostShutdownTimeoutOutlastsTheLongestCheckpointAndEndsWithinTheGracePeriod()
    {
        var hostTimeout = TimeSpan.FromSeconds(int.Parse(chart.EnvironmentValue("DOTNET_shutdownTimeoutSeconds")));
        var grace = TimeSpan.FromSeconds(int.Parse(chart.PodSpec.Scalar("terminationGracePeriodSeconds")));

        Assert.InRange(hostTimeout, DeploymentAssumptions.LongestCheckpoint, grace - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void MaintenanceModeReplacesTheDaemonWithAnIdleProcessAndDropsTheProbes()
    {
        var maintenance = Helm.Template("ci/maintenance-values.yaml");

        Assert.Equal(["sleep", "infinity"], maintenance.Container.Sequence("command").Scalars());
        Assert.All(new[] { "startupProbe", "livenessProbe", "readinessProbe" },
            probe => Assert.Null(maintenance.Container.Child(probe)));
    }
}
