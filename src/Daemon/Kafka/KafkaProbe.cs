using System.Diagnostics;
using Confluent.Kafka;
using Recurring.Checkpointing;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// What the brokers answered: their cluster's id (empty when they report none), and the configured topic's partitions
/// (0 while it does not exist).
/// </summary>
public sealed record KafkaClusterInfo(string ClusterId, string Topic, int TopicPartitions)
{
    /// <summary>What every checkpoint's positions are tagged with.</summary>
    public StreamSource Source => new(ClusterId, Topic);
}

/// <summary>The brokers did not answer, or refused this client; the message says why.</summary>
public sealed class KafkaUnreachableException(string message) : Exception(message);

/// <summary>
/// Asks the configured brokers for their metadata and cluster id: at start, to report an unreachable or misconfigured
/// Kafka within seconds rather than after the offline phase, and before streaming, to learn which cluster the positions
/// belong to. Gives up early on what waiting cannot fix: every broker refused the connection, authentication failed.
/// </summary>
public static class KafkaProbe
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

    /// <exception cref="KafkaUnreachableException">No answer within <paramref name="timeout"/>, or an answer that refuses us.</exception>
    /// <exception cref="ArgumentException">librdkafka rejected a setting (a misspelt Kafka:Properties key).</exception>
    public static KafkaClusterInfo Probe(KafkaOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var config = options.ToAdminClientConfig();
        var clock = Stopwatch.StartNew();
        string? reason = null;
        bool hopeless = false;
        using var admin = KafkaClients.Build(() => new AdminClientBuilder(config)
            .SetErrorHandler((_, error) =>
            {
                // "1/1 brokers are down" says less than the connection error before it.
                if (reason is null || error.Code != ErrorCode.Local_AllBrokersDown) reason = error.Reason;
                hopeless |= error.IsFatal || error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed;
            })
            .SetLogHandler((_, _) => { })
            .Build());
        Metadata? metadata = null;
        while (metadata is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // Every topic, not just ours: asking for one by name would create it on brokers that auto-create topics.
                metadata = admin.GetMetadata(Step);
            }
            catch (KafkaException e)
            {
                if (e.Error.IsFatal) throw new KafkaUnreachableException(e.Error.Reason);
                if (hopeless || clock.Elapsed >= timeout)
                    throw new KafkaUnreachableException(reason ?? $"no answer within {timeout.TotalSeconds:F0} s ({e.Error.Reason})");
            }
        }
        // The brokers just answered, so this takes milliseconds. Brokers older than Kafka 0.10.1 report no id: the
        // positions' source is then known by its topic alone.
        var clusterId = LibRdKafka.Instance.ClusterId(config, timeout) ?? "";
        var topic = metadata.Topics.FirstOrDefault(t => t.Topic == options.Topic);
        if (topic is not null && topic.Error.Code is not (ErrorCode.NoError or ErrorCode.UnknownTopicOrPart))
            throw new KafkaUnreachableException($"the brokers refuse topic {options.Topic}: {topic.Error.Reason}");
        return new KafkaClusterInfo(clusterId, options.Topic, topic?.Partitions.Count ?? 0);
    }
}
