using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// The Kafka the daemon talks to: the configured brokers, or, with Kafka:Embedded, an in-process cluster (librdkafka's
/// mock brokers) started on first use and fed by a paced synthetic producer. It checks the brokers at start and before
/// streaming, and writes what it finds into the reader's part of the status until the reader takes over.
/// </summary>
public sealed class KafkaEndpoint(
    KafkaOptions configured,
    OfflineOptions offline,
    SyntheticDataOptions synthetic,
    RecurringSettings settings,
    StatusCell<ReaderState> reader,
    Heartbeat heartbeat,
    ILogger<KafkaEndpoint> logger) : IAsyncDisposable
{
    /// <summary>How long one check waits for the brokers' metadata.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Between two checks while streaming waits for the brokers.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>While streaming waits for the brokers, the warning is repeated this often (each check is in the status).</summary>
    private static readonly TimeSpan WaitingWarningInterval = TimeSpan.FromMinutes(1);

    /// <summary>Partitions of the embedded topic: enough to exercise per-partition positions, few enough to keep each under the mock's 5 MiB.</summary>
    public const int EmbeddedPartitions = 4;

    /// <summary>
    /// How far the embedded producer may run ahead of the events consumed: well inside what the mock brokers keep (about
    /// 5 MiB, some 25,000 events, per partition), so a trainer slower than Kafka:EmbeddedEventsPerSecond holds the
    /// producer back instead of having unread events deleted under it.
    /// </summary>
    public const long EmbeddedMaxAhead = EmbeddedPartitions * 10_000L;

    private readonly Lock _starting = new();
    private readonly CancellationTokenSource _producing = new();
    private EmbeddedKafkaCluster? _cluster;
    private KafkaOptions? _effective;
    private SyntheticEventProducer? _producer;
    private Task? _production;

    /// <summary>True with Kafka:Embedded: the brokers live and die with this process.</summary>
    public bool IsEmbedded => configured.UsesEmbeddedBroker;

    /// <summary>Kafka options with the effective bootstrap servers; the first call starts the embedded broker when there is one.</summary>
    public KafkaOptions Options
    {
        get
        {
            lock (_starting) return _effective ??= IsEmbedded ? StartEmbeddedCluster() : configured;
        }
    }

    /// <summary>The embedded cluster once started; null with real brokers.</summary>
    public EmbeddedKafkaCluster? EmbeddedCluster => _cluster;

    /// <summary>Events the embedded producer has delivered (0 with a real broker).</summary>
    public long EmbeddedEventsDelivered => _producer?.Delivered ?? 0;

    /// <summary>The synthetic event the embedded producer started from (null until it starts, and with a real broker).</summary>
    public long? EmbeddedFirstEvent { get; private set; }

    /// <summary>
    /// With the embedded broker, starts producing the synthetic stream that continues the offline history (events
    /// after the history and its held-out set) and, after a restart, the <paramref name="alreadyStreamed"/> events the
    /// restored model already consumed, at Kafka:EmbeddedEventsPerSecond but never more than
    /// <see cref="EmbeddedMaxAhead"/> events ahead of <paramref name="eventsConsumed"/>. Does nothing with real brokers.
    /// </summary>
    public void StartEmbeddedProducer(long alreadyStreamed, Func<long> eventsConsumed)
    {
        if (!IsEmbedded || _production is not null) return;
        var options = Options;
        long first = offline.SyntheticEvents + offline.EvalEvents + alreadyStreamed;
        EmbeddedFirstEvent = first;
        var producer = _producer = new SyntheticEventProducer(options.ToProducerConfig(), options.Topic, new SyntheticClickGenerator(synthetic, settings.Schema), logger,
            format: options.Format);
        _production = Task.Run(() => producer.ProduceAsync(first, SyntheticEventProducer.Forever, options.EmbeddedEventsPerSecond, _producing.Token,
            holdBack: () => producer.Produced - (eventsConsumed() - alreadyStreamed) > EmbeddedMaxAhead));
        logger.LogInformation("Embedded producer started: synthetic events from #{First} at {Rate}/s", first, options.EmbeddedEventsPerSecond);
    }

    /// <summary>
    /// At start, before the offline phase: asks the configured brokers for their metadata, so that an unreachable or
    /// misconfigured Kafka is reported in the first seconds (a warning, and the error in /status) rather than after hours
    /// of offline training. With Kafka:RequireAtStart the start is refused instead. Nothing to check with the embedded broker.
    /// </summary>
    /// <exception cref="StartRefusedException">Kafka:RequireAtStart is set and the brokers did not answer, or librdkafka
    /// refuses a setting.</exception>
    public async Task CheckAtStartAsync(CancellationToken cancellationToken)
    {
        if (IsEmbedded) return;
        try
        {
            var cluster = await ProbeAsync(cancellationToken);
            logger.LogInformation("Kafka at {Bootstrap}: cluster {Cluster}, topic {Topic} {Partitions}", configured.BootstrapServers, cluster.ClusterId,
                configured.Topic, cluster.TopicPartitions > 0 ? $"with {cluster.TopicPartitions} partition(s)" : "does not exist yet");
        }
        catch (ArgumentException e)
        {
            // librdkafka refused a setting (a misspelt Kafka:Properties key): no client could ever be built.
            throw new StartRefusedException($"{e.Message} (check {KafkaOptions.Section}:{nameof(KafkaOptions.Properties)}).");
        }
        catch (KafkaUnreachableException e)
        {
            if (configured.RequireAtStart)
                throw new StartRefusedException($"Kafka at {configured.BootstrapServers} does not answer: {e.Message} " +
                                                $"(the start is refused because {KafkaOptions.Section}:{nameof(KafkaOptions.RequireAtStart)} is true).");
            logger.LogWarning("Kafka at {Bootstrap} does not answer: {Reason}. Training goes on offline; streaming waits for the brokers " +
                              "(set {Section}:{Key}=true to refuse to start instead)", configured.BootstrapServers, e.Message, KafkaOptions.Section,
                nameof(KafkaOptions.RequireAtStart));
        }
    }

    /// <summary>
    /// Before streaming: the cluster and topic the positions belong to, once the brokers answer. Checks every few
    /// seconds until they do, a warning a minute meanwhile, each check in the status, the heartbeat beating: waiting
    /// for Kafka is not being wedged.
    /// </summary>
    public async Task<StreamSource> WaitForSourceAsync(CancellationToken cancellationToken)
    {
        var warned = long.MinValue;
        while (true)
        {
            heartbeat.Beat();
            try
            {
                return (await ProbeAsync(cancellationToken)).Source;
            }
            catch (KafkaUnreachableException e)
            {
                if (warned == long.MinValue || Stopwatch.GetElapsedTime(warned) >= WaitingWarningInterval)
                {
                    logger.LogWarning("Streaming waits for Kafka at {Bootstrap}: {Reason}", Options.BootstrapServers, e.Message);
                    warned = Stopwatch.GetTimestamp();
                }
            }
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    private async Task<KafkaClusterInfo> ProbeAsync(CancellationToken cancellationToken)
    {
        var options = Options;
        try
        {
            var cluster = await Task.Run(() => KafkaProbe.Probe(options, ProbeTimeout, cancellationToken), cancellationToken);
            reader.Update(s => s with { Reachable = true, Error = null });
            return cluster;
        }
        catch (KafkaUnreachableException e)
        {
            reader.Update(s => s with { Reachable = false, Error = e.Message });
            throw;
        }
    }

    private KafkaOptions StartEmbeddedCluster()
    {
        _cluster = new EmbeddedKafkaCluster();
        _cluster.CreateTopic(configured.Topic, EmbeddedPartitions);
        logger.LogInformation("Embedded Kafka-protocol broker at {Bootstrap}, topic {Topic} with {Partitions} partitions",
            _cluster.BootstrapServers, configured.Topic, EmbeddedPartitions);
        return configured.WithBootstrapServers(_cluster.BootstrapServers);
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
