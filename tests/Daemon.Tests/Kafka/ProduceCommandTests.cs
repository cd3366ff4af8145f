using System.Text.Json;
using Recurring.Daemon.Cli;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>The command writes to the process's console, so these tests take it over and must not run beside others that print.</summary>
[CollectionDefinition(nameof(ConsoleOutput), DisableParallelization = true)]
public sealed class ConsoleOutput;

[Collection(nameof(ConsoleOutput))]
public class ProduceCommandTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (originalOutput, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = await RecurringCli.Build().Parse(arguments).InvokeAsync();
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOutput);
            Console.SetError(originalError);
        }
    }

    [Fact]
    public async Task ProduceWritesTheEventsAndEndsWithAJsonSummary()
    {
        var topic = fixture.NewTopic();
        var (exitCode, output, error) = await RunAsync("produce", "--bootstrap", fixture.Cluster.BootstrapServers, "--topic", topic,
            "--events", "300", "--start", "50", "--seed", "3", "--json");

        Assert.True(exitCode == 0, error);
        TopicReader.Read(fixture.Cluster.BootstrapServers, topic, 300);
        var summary = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(300, summary.GetProperty("events").GetInt64());
        Assert.Equal(300, summary.GetProperty("delivered").GetInt64());
        Assert.Equal(0, summary.GetProperty("failed").GetInt64());
        Assert.Equal(350, summary.GetProperty("nextEvent").GetInt64());
        Assert.True(summary.GetProperty("seconds").GetDouble() > 0);
        Assert.True(summary.GetProperty("eventsPerSecond").GetDouble() > 0);
    }

    [Fact]
    public async Task ProduceWithoutABrokerIsAConfigurationError()
    {
        var (exitCode, _, error) = await RunAsync("produce", "--events", "10");

        Assert.Equal(CommandSettings.InvalidConfiguration, exitCode);
        Assert.Contains("--bootstrap", error);
    }
}
