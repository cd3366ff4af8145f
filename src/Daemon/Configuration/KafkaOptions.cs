using System.ComponentModel;
using Confluent.Kafka;
using Recurring.Core;

namespace Recurring.Daemon.Configuration;

/// <summary>Where partitions that the checkpoint does not know yet start reading.</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<KafkaStartFrom>))]
public enum KafkaStartFrom
{
    /// <summary>The oldest message the broker still keeps: nothing is skipped.</summary>
    Earliest,

    /// <summary>Only messages produced from now on: skips the backlog.</summary>
    Latest,
}

/// <summary>How click events are written in the messages of Kafka:Topic (docs/features.md).</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<KafkaEventFormat>))]
public enum KafkaEventFormat
{
    /// <summary>One Criteo TSV line per message: label, 13 dense and 26 hex categorical fields, by position.</summary>
    CriteoTsv,

    /// <summary>One flat JSON object per message, keyed by the schema's field names.</summary>
    Json,
}

/// <summary>
/// Section "Kafka": the brokers, the topics, and the few client settings the daemon depends on. Anything else
/// librdkafka accepts (security, tuning) goes into <see cref="Properties"/>, which is applied last.
/// </summary>
public sealed class KafkaOptions
{
    public const string Section = "Kafka";

    private const string Masked = "***";

    /// <summary>Comma-separated host:port list of the brokers.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>
    /// True starts librdkafka's in-process mock brokers, fed by a synthetic producer, instead of connecting to
    /// <see cref="BootstrapServers"/>: for trying the daemon, never for production (events live in memory, and positions
    /// read there mean nothing to a real cluster). Unset, `recurring run` chooses it only in the Development environment
    /// and only without BootstrapServers; it is refused in Production (see <see cref="DaemonProblems"/>).
    /// </summary>
    public bool? Embedded { get; set; }

    /// <summary>
    /// True refuses to start (exit code 2) when the brokers do not answer the start-up check; by default the daemon
    /// warns, runs the offline phase, and streaming waits for them.
    /// </summary>
    public bool RequireAtStart { get; set; }

    /// <summary>
    /// True accepts a checkpoint whose positions were read from another cluster or topic: they are dropped and every
    /// partition starts at <see cref="StartFrom"/>. Without it such a start is refused (exit code 2). No effect when the
    /// checkpoint's positions belong to the configured cluster and topic.
    /// </summary>
    public bool ResetPositions { get; set; }

    /// <summary>The click events the daemon trains on.</summary>
    public string Topic { get; set; } = "clicks";

    /// <summary>How the messages of <see cref="Topic"/> are written: criteo-tsv (needs a schema with Criteo's layout) or json.</summary>
    public KafkaEventFormat Format { get; set; } = KafkaEventFormat.CriteoTsv;

    public string GroupId { get; set; } = "recurring";

    public KafkaStartFrom StartFrom { get; set; } = KafkaStartFrom.Earliest;

    /// <summary>Where rejected events go; empty writes them to the local dead-letter file instead.</summary>
    public string DeadLetterTopic { get; set; } = "";

    /// <summary>Where a message announces each new checkpoint; empty announces nothing.</summary>
    public string ModelUpdatesTopic { get; set; } = "";

    /// <summary>librdkafka settings by their own names (security.protocol, sasl.*, ssl.*), applied over everything else.</summary>
    public Dictionary<string, string> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long the broker waits for a heartbeat before it hands this consumer's partitions to another. Real
    /// brokers refuse values outside group.min/max.session.timeout.ms (6 s to 30 min by default).
    /// </summary>
    public int SessionTimeoutMilliseconds { get; set; } = 45_000;

    /// <summary>
    /// Longest allowed gap between two reads before the consumer leaves its group. Larger than librdkafka's 5 min
    /// default because writing a checkpoint of a large model can take minutes.
    /// </summary>
    public int MaxPollIntervalMilliseconds { get; set; } = 600_000;

    /// <summary>
    /// How long librdkafka keeps retrying one produced message (message.timeout.ms) before reporting it failed,
    /// and the retry pipeline takes over. librdkafka's 5 min default would hide an outage for that long.
    /// </summary>
    public int DeliveryTimeoutMilliseconds { get; set; } = 30_000;

    /// <summary>Events per second the embedded broker's synthetic producer writes; it only runs without a broker.</summary>
    public double EmbeddedEventsPerSecond { get; set; } = 2_000;

    /// <summary>Retries of our own produce calls (dead letters, model updates) after librdkafka gave up.</summary>
    public KafkaRetryOptions Retry { get; set; } = new();

    public bool UsesEmbeddedBroker => Embedded == true;

    private bool NamesBrokers => !string.IsNullOrWhiteSpace(BootstrapServers);

    /// <summary>
    /// The daemon's rules for choosing its brokers in <paramref name="environmentName"/> (the host's environment,
    /// Production unless DOTNET_ENVIRONMENT or ASPNETCORE_ENVIRONMENT says otherwise): the embedded broker is never
    /// chosen by accident, and never in Production. Commands that only produce need no such rule.
    /// </summary>
    public IEnumerable<string> DaemonProblems(string environmentName)
    {
        bool production = string.Equals(environmentName, "Production", StringComparison.OrdinalIgnoreCase);
        if (Embedded == true && production)
            yield return $"{Section}:{nameof(Embedded)} must not be true in the Production environment (DOTNET_ENVIRONMENT or ASPNETCORE_ENVIRONMENT, " +
                         $"Production when unset): the embedded broker keeps events in memory only. Set {Section}:{nameof(BootstrapServers)} to your brokers, " +
                         "or DOTNET_ENVIRONMENT=Development to try the daemon.";
        else if (Embedded == true && NamesBrokers)
            yield return $"{Section}:{nameof(Embedded)} is true, which would ignore {Section}:{nameof(BootstrapServers)} ({BootstrapServers}): set only one of them.";
        else if (Embedded != true && !NamesBrokers && !(Embedded is null && IsDevelopment(environmentName)))
            yield return $"{Section}:{nameof(BootstrapServers)} is empty: set it to your brokers (host:port,...), or {Section}:{nameof(Embedded)}=true for " +
                         "the in-process test broker (not in the Production environment).";
    }

    /// <summary>Whether `recurring run` in <paramref name="environmentName"/> takes the embedded broker although <see cref="Embedded"/> is unset.</summary>
    public bool EmbeddedByDefault(string environmentName) => Embedded is null && !NamesBrokers && IsDevelopment(environmentName);

    private static bool IsDevelopment(string environmentName) => string.Equals(environmentName, "Development", StringComparison.OrdinalIgnoreCase);

    /// <summary>A copy pointing at <paramref name="bootstrapServers"/>, e.g. the embedded broker once it started.</summary>
    public KafkaOptions WithBootstrapServers(string bootstrapServers)
    {
        var copy = (KafkaOptions)MemberwiseClone();
        copy.BootstrapServers = bootstrapServers;
        copy.Properties = new Dictionary<string, string>(Properties, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>
    /// The consumer the trainer reads with. Offsets are neither committed nor stored automatically: the trainer
    /// commits the positions its checkpoint holds, so a restart resumes exactly there.
    /// </summary>
    /// <remarks>
    /// Cooperative-sticky assignment: a rebalance (a second instance started by mistake, partitions added) only
    /// takes away the partitions that move, so the trainer keeps reading and its pending positions for the others
    /// stay valid; with the eager range strategy every rebalance revokes everything and stalls training.
    /// Read-committed isolation keeps aborted transactional writes out of training.
    /// </remarks>
    public ConsumerConfig ToConsumerConfig() => ApplyProperties(new ConsumerConfig
    {
        BootstrapServers = RequireBootstrapServers(),
        GroupId = GroupId,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = StartFrom == KafkaStartFrom.Earliest ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        IsolationLevel = IsolationLevel.ReadCommitted,
        SessionTimeoutMs = SessionTimeoutMilliseconds,
        // librdkafka's fixed 3 s heartbeat would let any session timeout of 3 s or less expire between heartbeats.
        HeartbeatIntervalMs = Math.Max(1, SessionTimeoutMilliseconds / 3),
        MaxPollIntervalMs = MaxPollIntervalMilliseconds,
    });

    /// <summary>Idempotent, fully acknowledged, lz4-compressed: no duplicates or reordering from librdkafka's own retries.</summary>
    public ProducerConfig ToProducerConfig() => ApplyProperties(new ProducerConfig
    {
        BootstrapServers = RequireBootstrapServers(),
        EnableIdempotence = true,
        Acks = Acks.All,
        CompressionType = CompressionType.Lz4,
        MessageTimeoutMs = DeliveryTimeoutMilliseconds,
    });

    public AdminClientConfig ToAdminClientConfig() => ApplyProperties(new AdminClientConfig
    {
        BootstrapServers = RequireBootstrapServers(),
    });

    /// <summary>Every setting by its configuration key, secrets in <see cref="Properties"/> masked: safe to log or show.</summary>
    public IReadOnlyDictionary<string, string> Describe()
    {
        var description = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [$"{Section}:{nameof(BootstrapServers)}"] = UsesEmbeddedBroker ? "(embedded broker)" : BootstrapServers,
            [$"{Section}:{nameof(Embedded)}"] = $"{UsesEmbeddedBroker}",
            [$"{Section}:{nameof(RequireAtStart)}"] = $"{RequireAtStart}",
            [$"{Section}:{nameof(ResetPositions)}"] = $"{ResetPositions}",
            [$"{Section}:{nameof(Topic)}"] = Topic,
            [$"{Section}:{nameof(Format)}"] = KebabCaseEnumConverter<KafkaEventFormat>.ToKebabCase(Format.ToString()),
            [$"{Section}:{nameof(GroupId)}"] = GroupId,
            [$"{Section}:{nameof(StartFrom)}"] = StartFrom.ToString(),
            [$"{Section}:{nameof(DeadLetterTopic)}"] = DeadLetterTopic.Length == 0 ? "(local file)" : DeadLetterTopic,
            [$"{Section}:{nameof(ModelUpdatesTopic)}"] = ModelUpdatesTopic.Length == 0 ? "(off)" : ModelUpdatesTopic,
            [$"{Section}:{nameof(SessionTimeoutMilliseconds)}"] = $"{SessionTimeoutMilliseconds}",
            [$"{Section}:{nameof(MaxPollIntervalMilliseconds)}"] = $"{MaxPollIntervalMilliseconds}",
            [$"{Section}:{nameof(DeliveryTimeoutMilliseconds)}"] = $"{DeliveryTimeoutMilliseconds}",
            [$"{Section}:{nameof(EmbeddedEventsPerSecond)}"] = $"{EmbeddedEventsPerSecond}",
        };
        foreach (var (key, value) in Retry.Describe()) description[$"{Section}:{nameof(Retry)}:{key}"] = value;
        foreach (var (key, value) in Properties) description[$"{Section}:{nameof(Properties)}:{key}"] = IsSecret(key) ? Masked : value;
        return description;
    }

    /// <summary>
    /// librdkafka properties known to carry no secret; every other one is masked. An allow-list, because secrets hide
    /// under names no pattern foresees (sasl.oauthbearer.config holds a client secret, sasl.jaas.config a password).
    /// </summary>
    private static readonly HashSet<string> HarmlessProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "acks", "allow.auto.create.topics", "api.version.request", "auto.offset.reset", "batch.num.messages", "batch.size",
        "broker.address.family", "check.crcs", "client.id", "client.rack", "compression.codec", "compression.type", "debug",
        "enable.idempotence", "enable.partition.eof", "enable.ssl.certificate.verification", "fetch.error.backoff.ms",
        "fetch.max.bytes", "fetch.min.bytes", "fetch.wait.max.ms", "group.instance.id", "heartbeat.interval.ms",
        "isolation.level", "linger.ms", "log.connection.close", "max.in.flight.requests.per.connection",
        "max.partition.fetch.bytes", "message.max.bytes", "message.send.max.retries", "metadata.max.age.ms",
        "partition.assignment.strategy", "queue.buffering.max.kbytes", "queue.buffering.max.messages", "queue.buffering.max.ms",
        "queued.max.messages.kbytes", "queued.min.messages", "receive.message.max.bytes", "reconnect.backoff.max.ms",
        "reconnect.backoff.ms", "request.timeout.ms", "retries", "retry.backoff.ms", "sasl.mechanism", "sasl.mechanisms",
        "sasl.username", "security.protocol", "session.timeout.ms", "socket.keepalive.enable", "socket.timeout.ms",
        "ssl.ca.location", "ssl.certificate.location", "ssl.endpoint.identification.algorithm", "statistics.interval.ms",
        "topic.metadata.refresh.interval.ms", "transactional.id",
    };

    private static bool IsSecret(string propertyName) => !HarmlessProperties.Contains(propertyName);

    private string RequireBootstrapServers() => NamesBrokers
        ? BootstrapServers
        : throw new InvalidOperationException($"{Section}:{nameof(BootstrapServers)} is empty: name the brokers, or start the embedded broker and use {nameof(WithBootstrapServers)} first.");

    private T ApplyProperties<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in Properties) config.Set(key, value);
        return config;
    }
}
