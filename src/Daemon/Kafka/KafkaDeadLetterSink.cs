using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Produces each dead letter's original key and payload to the dead-letter topic, with the reason and the source
/// position as headers, so the message can be replayed as it was.
/// </summary>
public sealed class KafkaDeadLetterSink : IDeadLetterSink
{
    public const string ErrorKindHeader = "recurring-error-kind";
    public const string ErrorReasonHeader = "recurring-error-reason";
    public const string SourceTopicHeader = "recurring-source-topic";
    public const string SourcePartitionHeader = "recurring-source-partition";
    public const string SourceOffsetHeader = "recurring-source-offset";

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

    public DeadLetterCounts Written { get; } = new();

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
            },
        };
        await _retry.ExecuteAsync(async token => await _producer.ProduceAsync(_topic, message, token), cancellationToken);
        Written.Add(letter.Reason.Kind);
    }

    public void Dispose() => _producer.Dispose();
}
