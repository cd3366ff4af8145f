using System.Text.Json.Nodes;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The appsettings overlay and the secrets the chart passes to the daemon.</summary>
public sealed class HelmChartConfigurationTests
{
    private const string OverlayFileName = "appsettings.Production.json";

    private readonly RenderedChart defaults = Helm.Template();
    private readonly RenderedChart secure = Helm.Template("ci/secure-values.yaml");

    [Fact]
    public void OverlayIsMountedBesideTheImageAppsettingsForTheProductionEnvironment()
    {
        var mount = defaults.VolumeMount("appsettings");

        Assert.Equal("/app/" + OverlayFileName, mount.Scalar("mountPath"));
        Assert.Equal(OverlayFileName, mount.Scalar("subPath"));
        Assert.Equal("Production", defaults.EnvironmentValue("DOTNET_ENVIRONMENT"));
    }

    [Fact]
    public void OverlayLeavesUnsetKafkaValuesToTheImageDefaults()
    {
        var kafka = Overlay(defaults)["Kafka"]!.AsObject();

        Assert.False(kafka.ContainsKey("BootstrapServers"));
        Assert.False(kafka.ContainsKey("Properties"));
    }

    [Fact]
    public void OverlayPassesKafkaPropertiesThroughToLibrdkafka()
    {
        var kafka = Overlay(secure)["Kafka"]!;

        Assert.Equal("kafka-0.kafka:9093,kafka-1.kafka:9093", (string?)kafka["BootstrapServers"]);
        Assert.Equal("SASL_SSL", (string?)kafka["Properties"]!["security.protocol"]);
        Assert.Equal("SCRAM-SHA-512", (string?)kafka["Properties"]!["sasl.mechanism"]);
    }

    [Fact]
    public void OverlayIncludesFreeFormAppsettingsOverrides()
    {
        Assert.Equal(600, (int?)Overlay(secure)["Checkpoints"]!["EverySeconds"]);
    }

    [Fact]
    public void KafkaSaslPasswordComesFromTheExistingSecretAndNotTheConfigMap()
    {
        var secretKey = secure.EnvironmentVariable("RECURRING_Kafka__Properties__sasl.password")!
            .Mapping("valueFrom").Mapping("secretKeyRef");

        Assert.Equal("recurring-kafka", secretKey.Scalar("name"));
        Assert.Equal("password", secretKey.Scalar("key"));
        Assert.DoesNotContain("sasl.password", OverlayText(secure));
    }

    [Fact]
    public void KafkaTlsSecretIsMountedReadOnly()
    {
        var mount = secure.VolumeMount("kafka-tls");

        Assert.Equal("/etc/recurring/kafka-tls", mount.Scalar("mountPath"));
        Assert.Equal("true", mount.Scalar("readOnly"));
        Assert.Equal("recurring-kafka-tls", secure.Volume("kafka-tls").Mapping("secret").Scalar("secretName"));
    }

    [Fact]
    public void AdminTokenComesFromTheExistingSecret()
    {
        var secretKey = secure.EnvironmentVariable("RECURRING_Admin__Token")!.Mapping("valueFrom").Mapping("secretKeyRef");

        Assert.Equal("recurring-admin", secretKey.Scalar("name"));
        Assert.Equal("token", secretKey.Scalar("key"));
    }

    [Fact]
    public void WithoutSecretsConfiguredNoSecretIsReferenced()
    {
        Assert.Null(defaults.EnvironmentVariable("RECURRING_Admin__Token"));
        Assert.Null(defaults.EnvironmentVariable("RECURRING_Kafka__Properties__sasl.password"));
    }

    [Fact]
    public void PodRestartsWhenTheOverlayChanges()
    {
        var annotation = defaults.Deployment.Mapping("spec").Mapping("template").Mapping("metadata").Mapping("annotations");
        var changed = Helm.Template(null, "appsettings.Training.BatchSize=4096")
            .Deployment.Mapping("spec").Mapping("template").Mapping("metadata").Mapping("annotations");

        Assert.NotEqual(annotation.Scalar("checksum/appsettings"), changed.Scalar("checksum/appsettings"));
    }

    private static string OverlayText(RenderedChart chart) =>
        chart.Single("ConfigMap").Mapping("data").Scalar(OverlayFileName);

    private static JsonNode Overlay(RenderedChart chart) => JsonNode.Parse(OverlayText(chart))!;
}
