namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartSecurityTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void PodRunsAsTheImagesNonRootUser()
    {
        var podSecurity = chart.PodSpec.Mapping("securityContext");

        Assert.Equal("true", podSecurity.Scalar("runAsNonRoot"));
        Assert.Equal(DeploymentAssumptions.ImageUserId.ToString(), podSecurity.Scalar("runAsUser"));
        Assert.Equal("true", chart.Container.Mapping("securityContext").Scalar("runAsNonRoot"));
    }

    [Fact]
    public void ContainerRootFilesystemIsReadOnly()
    {
        Assert.Equal("true", chart.Container.Mapping("securityContext").Scalar("readOnlyRootFilesystem"));
    }

    [Fact]
    public void ContainerDropsAllCapabilitiesAndCannotEscalate()
    {
        var security = chart.Container.Mapping("securityContext");

        Assert.Equal(["ALL"], security.Mapping("capabilities").Sequence("drop").Scalars());
        Assert.Equal("false", security.Scalar("allowPrivilegeEscalation"));
    }

    [Fact]
    public void PodGetsNoServiceLinksWhichWouldInjectRECURRINGVariables()
    {
        Assert.Equal("false", chart.PodSpec.Scalar("enableServiceLinks"));
    }

    [Fact]
    public void PodGetsNoKubernetesApiToken()
    {
        Assert.Equal("false", chart.PodSpec.Scalar("automountServiceAccountToken"));
    }
}
