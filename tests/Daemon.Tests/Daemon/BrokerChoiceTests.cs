using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Tests.Deployment;
using Recurring.Daemon.Tests.Reliability;
using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The embedded broker is an explicit choice (Kafka:Embedded), the default only in the Development environment (where
/// `dotnet run` in the repository runs); an empty or forgotten Kafka:BootstrapServers never trains on synthetic data in
/// production.
/// </summary>
public sealed class BrokerChoiceTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = Directory.CreateTempSubdirectory("recurring-brokers-").FullName;

    [Fact]
    public async Task WithoutBrokersRunIsRefusedInProductionWithOneLineAndExitCode2()
    {
        using var daemon = DaemonProcess.Start(_folder, Path.Combine(_folder, "log"), [$"--Checkpoints:Directory={Path.Combine(_folder, "checkpoints")}"]);

        Assert.True(await daemon.WaitForExitAsync(ExitTimeout), "recurring run did not exit: it started without brokers");
        Assert.Equal(2, daemon.ExitCode);
        Assert.StartsWith("configuration error: Kafka:BootstrapServers is empty", Assert.Single(daemon.ErrorLines));
        Assert.False(Directory.Exists(Path.Combine(_folder, "checkpoints")));
    }

    /// <summary>The chart's defaults leave kafka.bootstrapServers empty: the pod must fail loudly, not train on synthetic data.</summary>
    [Fact]
    public async Task TheHelmChartsDefaultValuesDoNotStartTheEmbeddedBroker()
    {
        var chart = Helm.Template();
        File.WriteAllText(Path.Combine(_folder, "appsettings.Production.json"),
            chart.Single("ConfigMap").Mapping("data").Scalar("appsettings.Production.json"));
        Assert.False(JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "appsettings.Production.json")))!["Kafka"]!.AsObject().ContainsKey("BootstrapServers"));
        var environment = chart.Container.Sequence("env").Children.Cast<YamlMappingNode>()
            .Where(variable => variable.Child("value") is not null)
            .ToDictionary(variable => variable.Scalar("name"), variable => variable.Scalar("value"));
        // The chart's paths lie on the pod's volume; here they go to the test's folder, and the port is any free one.
        environment["RECURRING_Checkpoints__Directory"] = Path.Combine(_folder, "checkpoints");
        environment["RECURRING_Streaming__DeadLetterFile"] = Path.Combine(_folder, "dead-letters.jsonl");
        environment["RECURRING_Admin__Port"] = "0";

        using var daemon = DaemonProcess.Start(_folder, Path.Combine(_folder, "log"), [], environment: environment);

        Assert.True(await daemon.WaitForExitAsync(ExitTimeout), "the chart's defaults started the daemon without brokers");
        Assert.Equal("Production", environment["DOTNET_ENVIRONMENT"]);
        Assert.Equal(2, daemon.ExitCode);
        Assert.StartsWith("configuration error: Kafka:BootstrapServers is empty", Assert.Single(daemon.ErrorLines));
    }

    [Fact]
    public void InDevelopmentTheEmbeddedBrokerIsTheDefaultWithoutBrokersAndNamedBrokersWin()
    {
        Assert.True(KafkaOf([], "Development").UsesEmbeddedBroker);
        Assert.False(KafkaOf(["--Kafka:BootstrapServers=127.0.0.1:9092"], "Development").UsesEmbeddedBroker);
        Assert.False(KafkaOf(["--Kafka:BootstrapServers=127.0.0.1:9092"], "Staging").UsesEmbeddedBroker);
        Assert.True(KafkaOf(["--Kafka:Embedded=true"], "Staging").UsesEmbeddedBroker);
    }

    [Fact]
    public void TheEmbeddedBrokerTogetherWithNamedBrokersIsRefused()
    {
        var errors = new StringWriter();

        Assert.Null(DaemonHost.TryBuild([.. Paths(), "--Kafka:Embedded=true", "--Kafka:BootstrapServers=127.0.0.1:9092"], errors, "Development"));

        Assert.StartsWith("configuration error: Kafka:Embedded is true, which would ignore Kafka:BootstrapServers",
            Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>README's first command, `dotnet run --project src/Daemon -c Release -- run`, runs the launch profile's environment.</summary>
    [Fact]
    public void DotnetRunInTheRepositoryRunsInTheDevelopmentEnvironment()
    {
        var profiles = JsonNode.Parse(RepositoryLayout.ReadText("src/Daemon/Properties/launchSettings.json"))!["profiles"]!.AsObject();

        var first = profiles.First().Value!;
        Assert.Equal("Project", (string?)first["commandName"]);
        Assert.Equal("Development", (string?)first["environmentVariables"]!["DOTNET_ENVIRONMENT"]);
        Assert.Contains("dotnet run --project src/Daemon -c Release -- run", RepositoryLayout.ReadText("README.md"));
    }

    private KafkaOptions KafkaOf(string[] overrides, string environment)
    {
        var errors = new StringWriter();
        var app = DaemonHost.TryBuild([.. Paths(), .. overrides], errors, environment);
        Assert.True(app is not null, errors.ToString());
        using (app as IDisposable) return app.Services.GetRequiredService<KafkaOptions>();
    }

    private string[] Paths() => [$"--Checkpoints:Directory={Path.Combine(_folder, "checkpoints")}", "--Admin:Port=0"];

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
