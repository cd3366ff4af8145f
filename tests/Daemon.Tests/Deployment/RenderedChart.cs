using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The manifests of one `helm template` run, with the paths the chart tests look at.</summary>
internal sealed class RenderedChart
{
    private RenderedChart(IReadOnlyList<YamlMappingNode> manifests) => Manifests = manifests;

    public IReadOnlyList<YamlMappingNode> Manifests { get; }

    public YamlMappingNode Deployment => Single("Deployment");

    public YamlMappingNode PodSpec => Deployment.Mapping("spec").Mapping("template").Mapping("spec");

    public YamlMappingNode Container => (YamlMappingNode)PodSpec.Sequence("containers").Children.Single();

    public static RenderedChart Parse(string multiDocumentYaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(multiDocumentYaml));
        var manifests = stream.Documents
            .Select(document => document.RootNode)
            .OfType<YamlMappingNode>()
            .ToList();
        return new RenderedChart(manifests);
    }

    public IEnumerable<YamlMappingNode> OfKind(string kind) =>
        Manifests.Where(manifest => manifest.Scalar("kind") == kind);

    public YamlMappingNode Single(string kind) => OfKind(kind).Single();

    /// <summary>The container's environment variable of that name, or null.</summary>
    public YamlMappingNode? EnvironmentVariable(string name) =>
        Container.Sequence("env").Children
            .Cast<YamlMappingNode>()
            .SingleOrDefault(variable => variable.Scalar("name") == name);

    public string EnvironmentValue(string name) =>
        (EnvironmentVariable(name) ?? throw new KeyNotFoundException($"The container has no environment variable {name}."))
            .Scalar("value");

    public YamlMappingNode VolumeMount(string volumeName) =>
        Container.Sequence("volumeMounts").Children
            .Cast<YamlMappingNode>()
            .Single(mount => mount.Scalar("name") == volumeName);

    public YamlMappingNode Volume(string volumeName) =>
        PodSpec.Sequence("volumes").Children
            .Cast<YamlMappingNode>()
            .Single(volume => volume.Scalar("name") == volumeName);

    public YamlMappingNode ContainerPort(string portName) =>
        Container.Sequence("ports").Children
            .Cast<YamlMappingNode>()
            .Single(port => port.Scalar("name") == portName);
}

internal static class YamlNavigation
{
    public static YamlNode? Child(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static YamlMappingNode Mapping(this YamlMappingNode node, string key) =>
        (YamlMappingNode)Required(node, key);

    public static YamlSequenceNode Sequence(this YamlMappingNode node, string key) =>
        (YamlSequenceNode)Required(node, key);

    public static string Scalar(this YamlMappingNode node, string key) =>
        ((YamlScalarNode)Required(node, key)).Value ?? "";

    public static IEnumerable<string> Scalars(this YamlSequenceNode node) =>
        node.Children.Cast<YamlScalarNode>().Select(scalar => scalar.Value ?? "");

    private static YamlNode Required(YamlMappingNode node, string key) =>
        node.Child(key) ?? throw new KeyNotFoundException($"No '{key}' in {node.Start}: {node}");
}
