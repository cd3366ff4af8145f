using System.ComponentModel;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Recurring.Core;

namespace Recurring.Daemon.Kafka;

/// <summary>Where partitions that the checkpoint does not know yet start reading.</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<KafkaStartFrom>))]
public enum KafkaStartFrom
{
    /// <summary>The oldest message the broker still keeps: nothing is skipped.</summary>
    Earliest,

    /// <summary>Only messages produced from now on: skips the backlog.</summary>
    Latest,
}

/// <summary>
/// Section "Kafka": the brokers, the topics, and the few client settings the daemon depends on. Anything else
/// librdkafka accepts (security, tuning) goes into <see cref="Properties"/>, which is applied last.
/// </summary>
public sealed partial class KafkaOptions
{
    public const string Section = "Kafka";

    private const string Masked = "***";

    /// <summary>Comma-separated host:port list; empty starts the embedded broker.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The click events the daemon trains on.</summary>
    public string Topic { get; set; } = "clicks";

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

    public bool UsesEmbeddedBroker => string.IsNullOrWhiteSpace(BootstrapServers);

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
            [$"{Section}:{nameof(Topic)}"] = Topic,
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
    /// Errs on the side of hiding: ssl.key.location is only a path, but a name that mentions a key, a secret or a
    /// password is never shown.
    /// </summary>
    private static bool IsSecret(string propertyName) =>
        propertyName.Contains("password", StringComparison.OrdinalIgnoreCase)
        || propertyName.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || propertyName.Contains("key", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<string> Validate()
    {
        if (!UsesEmbeddedBroker && BootstrapServers.Split(',').FirstOrDefault(s => !IsHostAndPort(s.Trim())) is { } bad)
            yield return $"{Section}:{nameof(BootstrapServers)} must be a comma-separated list of host:port (empty starts the embedded broker); '{bad.Trim()}' is not.";
        if (TopicProblem(Topic) is { } topicProblem)
            yield return $"{Section}:{nameof(Topic)} {topicProblem}";
        if (string.IsNullOrWhiteSpace(GroupId))
            yield return $"{Section}:{nameof(GroupId)} must not be empty.";
        foreach (var error in ValidateOutputTopic(nameof(DeadLetterTopic), DeadLetterTopic)) yield return error;
        foreach (var error in ValidateOutputTopic(nameof(ModelUpdatesTopic), ModelUpdatesTopic)) yield return error;
        foreach (var key in Properties.Keys.Where(ReservedProperties.ContainsKey))
            yield return $"{Section}:{nameof(Properties)}:{key} cannot be set here: {ReservedProperties[key]}";
        if (SessionTimeoutMilliseconds < 1)
            yield return $"{Section}:{nameof(SessionTimeoutMilliseconds)} must be positive, not {SessionTimeoutMilliseconds}.";
        if (MaxPollIntervalMilliseconds < SessionTimeoutMilliseconds)
            yield return $"{Section}:{nameof(MaxPollIntervalMilliseconds)} must be at least {nameof(SessionTimeoutMilliseconds)} ({SessionTimeoutMilliseconds}), not {MaxPollIntervalMilliseconds}.";
        if (DeliveryTimeoutMilliseconds < 1)
            yield return $"{Section}:{nameof(DeliveryTimeoutMilliseconds)} must be positive, not {DeliveryTimeoutMilliseconds}.";
        if (!(EmbeddedEventsPerSecond > 0) || double.IsInfinity(EmbeddedEventsPerSecond))
            yield return $"{Section}:{nameof(EmbeddedEventsPerSecond)} must be a positive number, not {EmbeddedEventsPerSecond}.";
        foreach (var error in Retry.Validate()) yield return $"{Section}:{nameof(Retry)}:{error}";
    }

    /// <summary>librdkafka settings that the options above own, with the reason; setting them in Properties would break an invariant.</summary>
    private static readonly Dictionary<string, string> ReservedProperties = new(StringComparer.Ordinal)
    {
        ["bootstrap.servers"] = $"use {Section}:{nameof(BootstrapServers)}.",
        ["group.id"] = $"use {Section}:{nameof(GroupId)}.",
        ["enable.auto.commit"] = "the trainer commits the offsets its checkpoint holds, so a restart resumes exactly there.",
        ["enable.auto.offset.store"] = "the trainer commits the offsets its checkpoint holds, so a restart resumes exactly there.",
    };

    private IEnumerable<string> ValidateOutputTopic(string name, string topic)
    {
        if (topic.Length == 0) yield break;
        if (TopicProblem(topic) is { } problem) yield return $"{Section}:{name} {problem}";
        else if (topic == Topic) yield return $"{Section}:{name} must differ from {Section}:{nameof(Topic)} ('{Topic}'): the daemon would read its own output.";
    }

    /// <summary>Kafka's own rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".</summary>
    private static string? TopicProblem(string topic) =>
        string.IsNullOrEmpty(topic) ? "must not be empty."
        : topic.Length > 249 || topic is "." or ".." || !TopicName().IsMatch(topic)
            ? $"'{topic}' is not a valid topic name (1 to 249 of letters, digits, '.', '_', '-'; not '.' or '..')."
            : null;

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex TopicName();

    private static bool IsHostAndPort(string server)
    {
        int colon = server.LastIndexOf(':');
        return colon > 0 && int.TryParse(server.AsSpan(colon + 1), out int port) && port is > 0 and <= 65535;
    }

    private string RequireBootstrapServers() => UsesEmbeddedBroker
        ? throw new InvalidOperationException($"{Section}:{nameof(BootstrapServers)} is empty: start the embedded broker and use {nameof(WithBootstrapServers)} first.")
        : BootstrapServers;

    private T ApplyProperties<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in Properties) config.Set(key, value);
        return config;
    }
}
