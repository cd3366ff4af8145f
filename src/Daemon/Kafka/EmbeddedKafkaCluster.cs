using Confluent.Kafka;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock brokers, speaking the real protocol on loopback TCP, so any
/// client (in this process or another) reaches it through <see cref="BootstrapServers"/>. It serves the daemon's
/// default without a broker and the tests. Everything lives in memory and each partition keeps only about 5 MiB,
/// oldest messages dropped first: pace producers. Of the admin API, metadata and offsets work but CreateTopics and
/// most others do not (see <see cref="CreateTopic"/>); ListConsumerGroups and DeleteGroups crash the process.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    public const int DefaultBrokerCount = 3;

    /// <summary>
    /// Brokers wait this long for more members before the first rebalance of a group. Real brokers wait 3 s
    /// (group.initial.rebalance.delay.ms); a single trainer gains nothing from waiting.
    /// </summary>
    private const int InitialRebalanceDelayMilliseconds = 100;

    private const int AllBrokers = -1;

    private readonly LibRdKafka _native = LibRdKafka.Instance;
    private readonly Lock _lock = new();
    private readonly nint _client;
    private readonly int _brokers;
    private nint _cluster;

    public EmbeddedKafkaCluster(int brokers = DefaultBrokerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        _brokers = brokers;
        _client = _native.NewIdleClient();
        try
        {
            _cluster = _native.NewMockCluster(_client, brokers);
        }
        catch
        {
            _native.DestroyClient(_client);
            throw;
        }
        _native.MockGroupInitialRebalanceDelay(_cluster, InitialRebalanceDelayMilliseconds);
        BootstrapServers = _native.MockClusterBootstraps(_cluster);
    }

    /// <summary>The brokers' loopback host:port list, for bootstrap.servers.</summary>
    public string BootstrapServers { get; }

    /// <summary>
    /// Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions. Without this a topic comes
    /// into being with 4 partitions on first use; the CreateTopics admin call does not work here.
    /// </summary>
    /// <exception cref="KafkaException">The topic exists already (TopicAlreadyExists) or the count is invalid.</exception>
    public void CreateTopic(string topic, int partitions)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        lock (_lock)
        {
            var error = _native.MockTopicCreate(Cluster(), topic, partitions, _brokers);
            if (error != ErrorCode.NoError) throw new KafkaException(new Error(error, $"Could not create topic '{topic}': {new Error(error).Reason}"));
        }
    }

    /// <summary>
    /// Takes every broker off the network (connections dropped, new ones refused) or brings them back, with their
    /// data: a broker outage as clients see it.
    /// </summary>
    public void SetBrokersDown(bool down)
    {
        lock (_lock)
        {
            var error = down ? _native.MockBrokerSetDown(Cluster(), AllBrokers) : _native.MockBrokerSetUp(Cluster(), AllBrokers);
            if (error != ErrorCode.NoError) throw new KafkaException(error);
        }
    }

    /// <summary>
    /// From now on the brokers answer every metadata request about <paramref name="topic"/> with <paramref name="error"/>
    /// (e.g. TopicAuthorizationFailed, as for a principal without an ACL on it); NoError lifts it.
    /// </summary>
    public void SetTopicError(string topic, ErrorCode error)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        lock (_lock) _native.MockTopicSetError(Cluster(), topic, error);
    }

    /// <summary>Stops the brokers: their data is gone and clients get connection refused.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_cluster == 0) return;
            _native.DestroyMockCluster(_cluster);
            _native.DestroyClient(_client);
            _cluster = 0;
        }
    }

    private nint Cluster()
    {
        ObjectDisposedException.ThrowIf(_cluster == 0, this);
        return _cluster;
    }
}
