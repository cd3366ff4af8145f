namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartSecurityTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void Pod_runs_as_the_images_non_root_user()
    {
        var podSecurity = chart.PodSpec.Mapping("securityContext");

        Assert.Equal("true", podSecurity.Scalar("runAsNonRoot"));
        Assert.Equal(DeploymentAssumptions.ImageUserId.ToString(), podSecurity.Scalar("runAsUser"));
        Assert.Equal("true", chart.Container.Mapping("securityContext").Scalar("runAsNonRoot"));
    }

    [Fact]
    public void Container_root_filesystem_is_read_only()
    {
        Assert.Equal("true", chart.Container.Mapping("securityContext").Scalar("readOnlyRootFilesystem"));
    }

    [Fact]
    public void Container_drops_all_capabilities_and_cannot_escalate()
    {
        var security = chart.Container.Mapping("securityContext");

        Assert.Equal(["ALL"], security.Mapping("capabilities").Sequence("drop").Scalars());
        Assert.Equal("false", security.Scalar("allowPrivilegeEscalation"));
    }

    [Fact]
    public void Pod_gets_no_service_links_which_would_inject_RECURRING_variables()
    {
        Assert.Equal("false", chart.PodSpec.Scalar("enableServiceLinks"));
    }

    [Fact]
    public void Pod_gets_no_kubernetes_api_token()
    {
        Assert.Equal("false", chart.PodSpec.Scalar("automountServiceAccountToken"));
    }
}
