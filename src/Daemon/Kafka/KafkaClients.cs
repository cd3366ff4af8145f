using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Recurring.Daemon.Kafka;

/// <summary>Builds Kafka clients whose librdkafka logs and errors go to our logger instead of raw stderr lines.</summary>
public static class KafkaClients
{
    /// <summary>A producer of raw bytes: keys may be null, values are the payload as is.</summary>
    /// <exception cref="ArgumentException">librdkafka rejected a setting, typically a misspelt Kafka:Properties key.</exception>
    public static IProducer<byte[]?, byte[]> CreateProducer(ProducerConfig config, ILogger logger)
    {
        var errors = new KafkaErrorLog(logger);
        return Build(() => new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, message) => Log(logger, message))
            .SetErrorHandler((_, error) => errors.Report(error))
            .Build());
    }

    /// <summary>
    /// librdkafka's log lines at their own level, except FAIL lines (a broker connection failed): librdkafka raises
    /// each of those again as an error event, which <see cref="KafkaErrorLog"/> reports, so they are only worth a debug line.
    /// </summary>
    public static void Log(ILogger logger, LogMessage message) =>
        logger.Log(message.Facility == "FAIL" ? LogLevel.Debug : ToLogLevel(message.Level),
            "librdkafka {Facility} {Client}: {Message}", message.Facility, message.Name, message.Message);

    private static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>
    /// librdkafka checks its settings only when the client is built, and Confluent.Kafka reports a bad name as
    /// InvalidOperationException; both kinds become the ArgumentException a user-fixable setting raises elsewhere.
    /// </summary>
    public static T Build<T>(Func<T> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"Kafka client settings rejected: {e.Message}", e);
        }
    }
}
