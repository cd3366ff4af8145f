using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;

namespace Recurring.Daemon.Kafka;

/// <summary>A new checkpoint, as announced on the model-updates topic.</summary>
/// <param name="Location">Where the checkpoint lies, for a serving system to load it from.</param>
/// <param name="Metrics">Figures at the time, e.g. the sliding-window AUC; NaN and infinities are written as strings.</param>
public sealed record ModelUpdate(
    string CheckpointId,
    string Location,
    long Step,
    long Samples,
    DateTimeOffset CreatedUtc,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Announces each checkpoint as a JSON message keyed by its checkpoint id. An announcement is a courtesy to
/// whoever serves the model: when it cannot be delivered the failure is logged and counted, never passed on to
/// the trainer.
/// </summary>
public sealed class ModelUpdatePublisher : IDisposable
{
    private static readonly JsonSerializerOptions MessageFormat = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly string _topic;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private long _published;
    private long _failed;

    /// <param name="retry">Retries transient failures; see <see cref="KafkaResilience.CreateRetryPipeline"/>.</param>
    /// <exception cref="ArgumentException">librdkafka rejected a setting.</exception>
    public ModelUpdatePublisher(ProducerConfig config, string topic, ResiliencePipeline retry, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        _topic = topic;
        _retry = retry;
        _logger = logger;
        _producer = KafkaClients.CreateProducer(config, logger);
    }

    public long Published => Interlocked.Read(ref _published);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>True once the brokers acknowledged the announcement; false when it failed (logged and counted).</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<bool> PublishAsync(ModelUpdate update, CancellationToken cancellationToken)
    {
        var message = new Message<byte[]?, byte[]>
        {
            Key = Encoding.UTF8.GetBytes(update.CheckpointId),
            Value = JsonSerializer.SerializeToUtf8Bytes(update, MessageFormat),
        };
        try
        {
            await _retry.ExecuteAsync(async token => await _producer.ProduceAsync(_topic, message, token), cancellationToken);
            Interlocked.Increment(ref _published);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            _logger.LogError(e, "Could not announce checkpoint {CheckpointId} on {Topic}", update.CheckpointId, _topic);
            return false;
        }
    }

    public void Dispose() => _producer.Dispose();
}
