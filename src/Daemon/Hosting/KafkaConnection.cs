using Microsoft.Extensions.Logging;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Hosting;

/// <summary>
/// The Kafka the daemon talks to: the configured brokers, or, when Kafka:BootstrapServers is empty, an in-process
/// cluster (librdkafka's mock brokers) fed by a paced synthetic producer with drift, the embedded default.
/// </summary>
public sealed class KafkaConnection : IAsyncDisposable
{
    /// <summary>Partitions of the embedded topic: enough to exercise per-partition positions, few enough to keep each under the mock's 5 MiB.</summary>
    public const int EmbeddedPartitions = 4;

    private readonly EmbeddedKafkaCluster? _cluster;
    private readonly SyntheticEventProducer? _producer;
    private readonly CancellationTokenSource _producing = new();
    private readonly RecurringSettings _settings;
    private readonly ILogger _logger;
    private Task? _production;

    public KafkaConnection(RecurringSettings settings, ILogger<KafkaConnection> logger)
    {
        _settings = settings;
        _logger = logger;
        if (!settings.Kafka.UsesEmbeddedBroker)
        {
            Options = settings.Kafka;
            return;
        }
        _cluster = new EmbeddedKafkaCluster();
        _cluster.CreateTopic(settings.Kafka.Topic, EmbeddedPartitions);
        Options = settings.Kafka.WithBootstrapServers(_cluster.BootstrapServers);
        _producer = new SyntheticEventProducer(Options.ToProducerConfig(), Options.Topic, new SyntheticClickGenerator(settings.Synthetic), logger);
        logger.LogInformation("Embedded Kafka-protocol broker at {Bootstrap}, topic {Topic} with {Partitions} partitions",
            _cluster.BootstrapServers, Options.Topic, EmbeddedPartitions);
    }

    /// <summary>Kafka options with the effective bootstrap servers.</summary>
    public KafkaOptions Options { get; }

    public EmbeddedKafkaCluster? EmbeddedCluster => _cluster;

    /// <summary>Events the embedded producer has delivered (0 with a real broker).</summary>
    public long EmbeddedEventsDelivered => _producer?.Delivered ?? 0;

    /// <summary>The synthetic event the embedded producer started from (null until it starts, and with a real broker).</summary>
    public long? EmbeddedFirstEvent { get; private set; }

    /// <summary>
    /// With the embedded broker, starts producing the synthetic stream that continues the offline history (events
    /// after the history and its held-out set) and, after a restart, the <paramref name="alreadyStreamed"/> events
    /// the restored model already consumed, at Kafka:EmbeddedEventsPerSecond. Started only once streaming begins: the
    /// mock broker keeps ~5 MiB per partition and would drop a backlog built during the offline phase.
    /// </summary>
    public void StartEmbeddedProducer(long alreadyStreamed)
    {
        if (_producer is null || _production is not null) return;
        long first = _settings.Offline.SyntheticEvents + _settings.Offline.EvalEvents + alreadyStreamed;
        EmbeddedFirstEvent = first;
        _production = Task.Run(() => _producer.ProduceAsync(first, SyntheticEventProducer.Forever, Options.EmbeddedEventsPerSecond, _producing.Token));
        _logger.LogInformation("Embedded producer started: synthetic events from #{First} at {Rate}/s", first, Options.EmbeddedEventsPerSecond);
    }

    public async ValueTask DisposeAsync()
    {
        await _producing.CancelAsync();
        if (_production is not null)
        {
            try
            {
                await _production;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _producer?.Dispose();
        _cluster?.Dispose();
        _producing.Dispose();
    }
}
