using Recurring.Core.Data;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>The parser that reads the messages of a Kafka:Format.</summary>
public static class EventParsers
{
    /// <exception cref="ArgumentException">Criteo TSV under a schema without Criteo's layout (configuration validation refuses it first).</exception>
    public static IEventParser For(KafkaEventFormat format, FeatureSchema schema) => format switch
    {
        KafkaEventFormat.Json => new JsonEventParser(schema),
        KafkaEventFormat.CriteoTsv => new CriteoEventParser(schema),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not a Kafka event format."),
    };
}
