using System.CommandLine;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Cli;

/// <summary>--format of the commands that write the topic: json or tsv, setting Kafka:Format to json or criteo-tsv.</summary>
internal static class KafkaFormatOption
{
    public static Option<string?> Create(string what) =>
        new Option<string?>("--format") { Description = $"{what}: json or tsv (Criteo TSV); default Kafka:Format." }.AcceptOnlyFromAmong("json", "tsv");

    /// <summary>The configuration override the option's value stands for; none without one.</summary>
    public static IEnumerable<string> Override(ParseResult result, Option<string?> option)
    {
        if (result.GetValue(option) is { } format)
            yield return $"--{KafkaOptions.Section}:{nameof(KafkaOptions.Format)}={(format == "tsv" ? "criteo-tsv" : format)}";
    }

    /// <summary>For people: "JSON" or "Criteo TSV".</summary>
    public static string Describe(KafkaEventFormat format) => format == KafkaEventFormat.Json ? "JSON" : "Criteo TSV";
}
