using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartMonitoringTests
{
    [Fact]
    public void NoServiceMonitorByDefault()
    {
        Assert.Empty(Helm.Template().OfKind("ServiceMonitor"));
    }

    [Fact]
    public void ServiceMonitorScrapesMetricsFromTheAdminPortOfTheChartsService()
    {
        var chart = Helm.Template("ci/secure-values.yaml");
        var monitor = chart.Single("ServiceMonitor").Mapping("spec");
        var endpoint = (YamlMappingNode)monitor.Sequence("endpoints").Children.Single();
        var serviceLabels = chart.Single("Service").Mapping("metadata").Mapping("labels");

        Assert.Equal("admin", endpoint.Scalar("port"));
        Assert.Equal("/metrics", endpoint.Scalar("path"));
        Assert.All(monitor.Mapping("selector").Mapping("matchLabels").Children,
            label => Assert.Equal(((YamlScalarNode)label.Value).Value, serviceLabels.Scalar(((YamlScalarNode)label.Key).Value!)));
    }
}
