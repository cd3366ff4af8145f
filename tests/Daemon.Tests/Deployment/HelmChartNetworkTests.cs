using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>Who reaches the pod through the Service and past its NetworkPolicy.</summary>
public sealed class HelmChartNetworkTests
{
    private readonly RenderedChart defaults = Helm.Template();
    private readonly RenderedChart secure = Helm.Template("ci/secure-values.yaml");

    /// <summary>The admin routes (status, metrics, checkpoints) must answer during the offline phase, when the pod is not Ready.</summary>
    [Fact]
    public void TheServiceReachesThePodWhileItIsNotReady()
    {
        Assert.Equal("true", defaults.Single("Service").Mapping("spec").Scalar("publishNotReadyAddresses"));
    }

    [Fact]
    public void NoNetworkPolicyUnlessEnabled()
    {
        Assert.Empty(defaults.OfKind("NetworkPolicy"));
    }

    [Fact]
    public void TheNetworkPolicyAdmitsOnlyTheListedPeersAndOnlyToTheAdminPort()
    {
        var spec = secure.Single("NetworkPolicy").Mapping("spec");

        Assert.Equal(Labels(secure.Deployment.Mapping("spec").Mapping("selector").Mapping("matchLabels")), Labels(spec.Mapping("podSelector").Mapping("matchLabels")));
        var rule = (YamlMappingNode)Assert.Single(spec.Sequence("ingress").Children);
        var port = (YamlMappingNode)Assert.Single(rule.Sequence("ports").Children);
        Assert.Equal($"{DeploymentAssumptions.AdminPort}", port.Scalar("port"));
        Assert.Equal("TCP", port.Scalar("protocol"));
        var peer = (YamlMappingNode)Assert.Single(rule.Sequence("from").Children);
        Assert.Equal("monitoring", peer.Mapping("namespaceSelector").Mapping("matchLabels").Scalar("kubernetes.io/metadata.name"));
    }

    [Fact]
    public void WithEgressRulesThePodReachesOnlyThemAndDns()
    {
        var spec = secure.Single("NetworkPolicy").Mapping("spec");

        Assert.Equal(["Ingress", "Egress"], spec.Sequence("policyTypes").Scalars());
        var rules = spec.Sequence("egress").Children.Cast<YamlMappingNode>().ToList();
        Assert.Equal(2, rules.Count);
        Assert.Equal(["53", "53"], rules[0].Sequence("ports").Children.Cast<YamlMappingNode>().Select(p => p.Scalar("port")));
        Assert.Equal("10.20.0.0/16", ((YamlMappingNode)rules[1].Sequence("to").Children.Single()).Mapping("ipBlock").Scalar("cidr"));
    }

    [Fact]
    public void WithoutEgressRulesEgressIsLeftOpen()
    {
        var spec = Helm.Template(null, "networkPolicy.enabled=true").Single("NetworkPolicy").Mapping("spec");

        Assert.Equal(["Ingress"], spec.Sequence("policyTypes").Scalars());
        Assert.Null(spec.Child("egress"));
        // Without listed peers: the pods of the release's namespace.
        var peer = (YamlMappingNode)Assert.Single(((YamlMappingNode)Assert.Single(spec.Sequence("ingress").Children)).Sequence("from").Children);
        Assert.Empty(peer.Mapping("podSelector").Children);
    }

    private static Dictionary<string, string> Labels(YamlMappingNode labels) =>
        labels.Children.ToDictionary(l => ((YamlScalarNode)l.Key).Value!, l => ((YamlScalarNode)l.Value).Value!);
}
