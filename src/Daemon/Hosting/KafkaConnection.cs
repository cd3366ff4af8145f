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

    /// <summary>
    /// How far the embedded producer may run ahead of the events consumed: well inside what the mock brokers keep (about
    /// 5 MiB, some 25,000 events, per partition), so a trainer slower than Kafka:EmbeddedEventsPerSecond holds the
    /// producer back instead of having unread events deleted under it.
    /// </summary>
    public const long EmbeddedMaxAhead = EmbeddedPartitions * 10_000L;

    private readonly EmbeddedKafkaCluster? _cluster;
    private readonly SyntheticEventProducer? _producer;
    private readonly CancellationTokenSource _producing = new();
    private readonly RecurringSettings _settings;
    private readonly DaemonStatus _status;
    private readonly ILogger _logger;
    private Task? _production;

    public KafkaConnection(RecurringSettings settings, DaemonStatus status, ILogger<KafkaConnection> logger)
    {
        _settings = settings;
        _status = status;
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
    /// the restored model already consumed, at Kafka:EmbeddedEventsPerSecond but never more than
    /// <see cref="EmbeddedMaxAhead"/> events ahead of training. Started only once streaming begins, for the same reason.
    /// </summary>
    public void StartEmbeddedProducer(long alreadyStreamed)
    {
        if (_producer is null || _production is not null) return;
        long first = _settings.Offline.SyntheticEvents + _settings.Offline.EvalEvents + alreadyStreamed;
        EmbeddedFirstEvent = first;
        var producer = _producer;
        _production = Task.Run(() => producer.ProduceAsync(first, SyntheticEventProducer.Forever, Options.EmbeddedEventsPerSecond, _producing.Token,
            holdBack: () => producer.Produced - (_status.Current.EventsConsumed - alreadyStreamed) > EmbeddedMaxAhead));
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
