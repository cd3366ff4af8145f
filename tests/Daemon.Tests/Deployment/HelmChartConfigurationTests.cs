using System.Text.Json.Nodes;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The appsettings overlay and the secrets the chart passes to the daemon.</summary>
public sealed class HelmChartConfigurationTests
{
    private const string OverlayFileName = "appsettings.Production.json";

    private readonly RenderedChart defaults = Helm.Template();
    private readonly RenderedChart secure = Helm.Template("ci/secure-values.yaml");

    [Fact]
    public void Overlay_is_mounted_beside_the_image_appsettings_for_the_production_environment()
    {
        var mount = defaults.VolumeMount("appsettings");

        Assert.Equal("/app/" + OverlayFileName, mount.Scalar("mountPath"));
        Assert.Equal(OverlayFileName, mount.Scalar("subPath"));
        Assert.Equal("Production", defaults.EnvironmentValue("DOTNET_ENVIRONMENT"));
    }

    [Fact]
    public void Overlay_leaves_unset_kafka_values_to_the_image_defaults()
    {
        var kafka = Overlay(defaults)["Kafka"]!.AsObject();

        Assert.False(kafka.ContainsKey("BootstrapServers"));
        Assert.False(kafka.ContainsKey("Properties"));
    }

    [Fact]
    public void Overlay_passes_kafka_properties_through_to_librdkafka()
    {
        var kafka = Overlay(secure)["Kafka"]!;

        Assert.Equal("kafka-0.kafka:9093,kafka-1.kafka:9093", (string?)kafka["BootstrapServers"]);
        Assert.Equal("SASL_SSL", (string?)kafka["Properties"]!["security.protocol"]);
        Assert.Equal("SCRAM-SHA-512", (string?)kafka["Properties"]!["sasl.mechanism"]);
    }

    [Fact]
    public void Overlay_includes_free_form_appsettings_overrides()
    {
        Assert.Equal(600, (int?)Overlay(secure)["Checkpoints"]!["EverySeconds"]);
    }

    [Fact]
    public void Kafka_sasl_password_comes_from_the_existing_secret_and_not_the_config_map()
    {
        var secretKey = secure.EnvironmentVariable("RECURRING_Kafka__Properties__sasl.password")!
            .Mapping("valueFrom").Mapping("secretKeyRef");

        Assert.Equal("recurring-kafka", secretKey.Scalar("name"));
        Assert.Equal("password", secretKey.Scalar("key"));
        Assert.DoesNotContain("sasl.password", OverlayText(secure));
    }

    [Fact]
    public void Kafka_tls_secret_is_mounted_read_only()
    {
        var mount = secure.VolumeMount("kafka-tls");

        Assert.Equal("/etc/recurring/kafka-tls", mount.Scalar("mountPath"));
        Assert.Equal("true", mount.Scalar("readOnly"));
        Assert.Equal("recurring-kafka-tls", secure.Volume("kafka-tls").Mapping("secret").Scalar("secretName"));
    }

    [Fact]
    public void Admin_token_comes_from_the_existing_secret()
    {
        var secretKey = secure.EnvironmentVariable("RECURRING_Admin__Token")!.Mapping("valueFrom").Mapping("secretKeyRef");

        Assert.Equal("recurring-admin", secretKey.Scalar("name"));
        Assert.Equal("token", secretKey.Scalar("key"));
    }

    [Fact]
    public void Without_secrets_configured_no_secret_is_referenced()
    {
        Assert.Null(defaults.EnvironmentVariable("RECURRING_Admin__Token"));
        Assert.Null(defaults.EnvironmentVariable("RECURRING_Kafka__Properties__sasl.password"));
    }

    [Fact]
    public void Pod_restarts_when_the_overlay_changes()
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
