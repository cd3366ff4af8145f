using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Produces each dead letter's original key and payload to the dead-letter topic, with the reason, the source
/// position and the payload's original size and SHA-256 as headers, so the message can be replayed as it was (or, when
/// its payload was cut to Streaming:DeadLetterMaxPayloadBytes, recognised).
/// </summary>
public sealed class KafkaDeadLetterSink : IDeadLetterSink
{
    public const string ErrorKindHeader = "recurring-error-kind";
    public const string ErrorReasonHeader = "recurring-error-reason";
    public const string SourceTopicHeader = "recurring-source-topic";
    public const string SourcePartitionHeader = "recurring-source-partition";
    public const string SourceOffsetHeader = "recurring-source-offset";
    public const string PayloadBytesHeader = "recurring-payload-bytes";
    public const string PayloadSha256Header = "recurring-payload-sha256";

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly string _topic;
    private readonly ResiliencePipeline _retry;

    /// <param name="retry">Retries transient failures; see <see cref="KafkaResilience.CreateRetryPipeline"/>.</param>
    /// <exception cref="ArgumentException">librdkafka rejected a setting.</exception>
    public KafkaDeadLetterSink(ProducerConfig config, string topic, ResiliencePipeline retry, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        _topic = topic;
        _retry = retry;
        _producer = KafkaClients.CreateProducer(config, logger);
    }

    /// <summary>How long the start-up check waits for the brokers' metadata.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    public DeadLetterCounts Written { get; } = new();

    public string Description => $"topic {_topic}";

    /// <exception cref="KafkaException">Not stored: a permanent error, or transient ones past the last retry.</exception>
    public async ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        var message = new Message<byte[]?, byte[]>
        {
            Key = letter.Key,
            Value = letter.Payload,
            Timestamp = new Timestamp(letter.Timestamp),
            Headers = new Headers
            {
                { ErrorKindHeader, Encoding.UTF8.GetBytes(letter.Reason.Kind) },
                { ErrorReasonHeader, Encoding.UTF8.GetBytes(letter.Reason.Message) },
                { SourceTopicHeader, Encoding.UTF8.GetBytes(letter.SourceTopic) },
                { SourcePartitionHeader, Encoding.UTF8.GetBytes(letter.SourcePartition.ToString(CultureInfo.InvariantCulture)) },
                { SourceOffsetHeader, Encoding.UTF8.GetBytes(letter.SourceOffset.ToString(CultureInfo.InvariantCulture)) },
                { PayloadBytesHeader, Encoding.UTF8.GetBytes(letter.Original.Bytes.ToString(CultureInfo.InvariantCulture)) },
                { PayloadSha256Header, Encoding.UTF8.GetBytes(letter.Original.Sha256) },
            },
        };
        await _retry.ExecuteAsync(async token => await _producer.ProduceAsync(_topic, message, token), cancellationToken);
        Written.Add(letter.Reason.Kind);
    }

    /// <summary>Acknowledged by every in-sync replica (acks=all): a letter is as durable as Kafka makes anything once written.</summary>
    public ValueTask SyncAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// The topic's metadata through the producer's own connections: a missing topic, or one this principal may not
    /// see (a missing ACL), is reported. A principal allowed to describe but not to write the topic is only found out
    /// by the first letter, which then goes to the quarantine file.
    /// </summary>
    public Task<string?> CheckAsync(CancellationToken cancellationToken) => Task.Run(() =>
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
            var topic = admin.GetMetadata(_topic, CheckTimeout).Topics.SingleOrDefault(t => t.Topic == _topic);
            if (topic is null) return $"topic {_topic}: the brokers did not describe it";
            if (topic.Error.IsError) return $"topic {_topic}: {topic.Error.Reason} ({topic.Error.Code})";
            return topic.Partitions.Count == 0 ? $"topic {_topic} has no partitions" : null;
        }
        catch (KafkaException e)
        {
            return $"topic {_topic}: {e.Error.Reason}";
        }
    }, cancellationToken);

    public void Dispose() => _producer.Dispose();
}
