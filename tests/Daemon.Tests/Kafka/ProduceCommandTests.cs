using System.CommandLine;
using System.Text.Json;
using Recurring.Core.Data;
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
            int exitCode = await RecurringCli.InvokeAsync(arguments, new InvocationConfiguration { Output = output, Error = error });
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
    public async Task ProduceFormatJsonWritesEventsTheJsonParserReadsAsTheTsvOnesUnderTheSameSeed()
    {
        var (jsonTopic, tsvTopic) = (fixture.NewTopic(), fixture.NewTopic());
        foreach (var (topic, format) in new[] { (jsonTopic, "json"), (tsvTopic, "tsv") })
        {
            var (exitCode, output, error) = await RunAsync("produce", "--bootstrap", fixture.Cluster.BootstrapServers, "--topic", topic,
                "--events", "50", "--seed", "3", "--format", format, "--json");
            Assert.True(exitCode == 0, error);
            Assert.Equal(format == "tsv" ? "criteo-tsv" : "json", JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("format").GetString());
        }

        var schema = FeatureSchema.Criteo();
        var (json, tsv) = (new JsonEventParser(schema), new CriteoEventParser(schema));
        var (fromJson, fromTsv) = (new ClickEvent(schema), new ClickEvent(schema));
        var jsonMessages = TopicReader.Read(fixture.Cluster.BootstrapServers, jsonTopic, 50).OrderBy(m => m.Message.Key, KeyOrder).ToList();
        var tsvMessages = TopicReader.Read(fixture.Cluster.BootstrapServers, tsvTopic, 50).OrderBy(m => m.Message.Key, KeyOrder).ToList();
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal((byte)'{', jsonMessages[i].Message.Value![0]);
            Assert.True(json.TryParse(jsonMessages[i].Message.Value, fromJson, out var kind, out var reason), $"{kind}: {reason}");
            Assert.True(tsv.TryParse(tsvMessages[i].Message.Value, fromTsv, out kind, out reason), $"{kind}: {reason}");
            var encoder = new FeatureEncoder(schema, FeatureStatistics.None);
            Assert.Equal(fromTsv.Label, fromJson.Label);
            Assert.Equal(fromTsv.Dense, fromJson.Dense);
            Assert.Equal(Enumerable.Range(0, 26).Select(j => encoder.RowOf(fromTsv, j)), Enumerable.Range(0, 26).Select(j => encoder.RowOf(fromJson, j)));
        }
    }

    private static readonly Comparer<byte[]?> KeyOrder = Comparer<byte[]?>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    [Fact]
    public async Task AnUnknownProduceFormatIsRefused()
    {
        var (exitCode, _, error) = await RunAsync("produce", "--bootstrap", fixture.Cluster.BootstrapServers, "--events", "10", "--format", "xml");

        Assert.Equal(2, exitCode);
        Assert.Contains("xml", error);
    }

    [Fact]
    public async Task ProduceWithoutABrokerIsAConfigurationError()
    {
        var (exitCode, _, error) = await RunAsync("produce", "--events", "10");

        Assert.Equal(CommandSettings.InvalidConfiguration, exitCode);
        Assert.Contains("--bootstrap", error);
    }
}
