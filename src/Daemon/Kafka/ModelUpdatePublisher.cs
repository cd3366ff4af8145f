using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;

namespace Recurring.Daemon.Kafka;

/// <summary>A new checkpoint or delta, as announced on the model-updates topic.</summary>
/// <param name="CheckpointId">The checkpoint's id, or the delta's.</param>
/// <param name="Location">Where the checkpoint (or delta) lies on the trainer's volume.</param>
/// <param name="Metrics">Figures at the time, e.g. the sliding-window AUC; NaN and infinities are written as strings.</param>
public sealed record ModelUpdate(
    string CheckpointId,
    string Location,
    long Step,
    long Samples,
    DateTimeOffset CreatedUtc,
    IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The checkpoint's folder in the object store (Checkpoints:Remote), complete when announced; null without one.</summary>
    public string? RemoteUri { get; init; }

    /// <summary><see cref="CheckpointKind"/> or <see cref="DeltaKind"/> (docs/serving.md, "Deltas").</summary>
    public string Kind { get; init; } = CheckpointKind;

    /// <summary>For a delta: the full checkpoint its chain applies to; null for a checkpoint.</summary>
    public string? BaseCheckpointId { get; init; }

    /// <summary>For a delta: what it applies on top of (the base for the first delta of a chain, else the delta before); null for a checkpoint.</summary>
    public string? PreviousId { get; init; }

    public const string CheckpointKind = "checkpoint";
    public const string DeltaKind = "delta";
}

/// <summary>
/// Announces each checkpoint as a JSON message keyed by its checkpoint id. An announcement is a courtesy to
/// whoever serves the model: when it cannot be delivered the failure is logged, never passed on to the trainer.
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

    /// <summary>True once the brokers acknowledged the announcement; false when it failed (logged).</summary>
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
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(e, "Could not announce checkpoint {CheckpointId} on {Topic}", update.CheckpointId, _topic);
            return false;
        }
    }

    public void Dispose() => _producer.Dispose();
}
