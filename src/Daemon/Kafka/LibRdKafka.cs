using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// librdkafka's mock cluster API and its cluster id, which Confluent.Kafka does not wrap, called through the very library
/// file that Confluent.Kafka loaded. Binding by name could pick another copy: on Debian 12 Confluent.Kafka loads
/// centos8-librdkafka.so because the plain librdkafka.so needs libsasl2.so.3, which Debian does not ship.
/// </summary>
internal sealed unsafe class LibRdKafka
{
    private const int ProducerType = 0;
    private const int ErrorBufferBytes = 512;

    private static readonly Lazy<LibRdKafka> Loaded = new(() => new LibRdKafka(FindLoadedLibrary()));

    private readonly delegate* unmanaged<nint> _confNew;
    private readonly delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> _confSet;
    private readonly delegate* unmanaged<nint, void> _confDestroy;
    private readonly delegate* unmanaged<int, nint, byte*, nuint, nint> _new;
    private readonly delegate* unmanaged<nint, void> _destroy;
    private readonly delegate* unmanaged<nint, int, nint> _mockClusterNew;
    private readonly delegate* unmanaged<nint, void> _mockClusterDestroy;
    private readonly delegate* unmanaged<nint, byte*> _mockClusterBootstraps;
    private readonly delegate* unmanaged<nint, byte*, int, int, int> _mockTopicCreate;
    private readonly delegate* unmanaged<nint, int, int> _mockBrokerSetDown;
    private readonly delegate* unmanaged<nint, int, int> _mockBrokerSetUp;
    private readonly delegate* unmanaged<nint, int, void> _mockGroupInitialRebalanceDelayMs;
    private readonly delegate* unmanaged<nint, byte*, int, void> _mockTopicSetError;
    private readonly delegate* unmanaged<nint, int, byte*> _clusterId;
    private readonly delegate* unmanaged<nint, void*, void> _memFree;

    private LibRdKafka(string path)
    {
        var library = NativeLibrary.Load(path);
        nint Export(string name) => NativeLibrary.GetExport(library, name);
        _confNew = (delegate* unmanaged<nint>)Export("rd_kafka_conf_new");
        _confSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export("rd_kafka_conf_set");
        _confDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_conf_destroy");
        _new = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export("rd_kafka_new");
        _destroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_destroy");
        _mockClusterNew = (delegate* unmanaged<nint, int, nint>)Export("rd_kafka_mock_cluster_new");
        _mockClusterDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_mock_cluster_destroy");
        _mockClusterBootstraps = (delegate* unmanaged<nint, byte*>)Export("rd_kafka_mock_cluster_bootstraps");
        _mockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export("rd_kafka_mock_topic_create");
        _mockBrokerSetDown = (delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_down");
        _mockBrokerSetUp = (delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_up");
        _mockGroupInitialRebalanceDelayMs = (delegate* unmanaged<nint, int, void>)Export("rd_kafka_mock_group_initial_rebalance_delay_ms");
        _mockTopicSetError = (delegate* unmanaged<nint, byte*, int, void>)Export("rd_kafka_mock_topic_set_error");
        _clusterId = (delegate* unmanaged<nint, int, byte*>)Export("rd_kafka_clusterid");
        _memFree = (delegate* unmanaged<nint, void*, void>)Export("rd_kafka_mem_free");
    }

    /// <summary>Loads librdkafka through Confluent.Kafka on first use, then binds to that file.</summary>
    public static LibRdKafka Instance => Loaded.Value;

    /// <summary>
    /// A client handle that only keeps a mock cluster's books. It gets no bootstrap servers, so it never connects
    /// to anything and stays silent when the brokers go down; its warning about that is below the log level.
    /// </summary>
    public nint NewIdleClient()
    {
        var conf = _confNew();
        var error = stackalloc byte[ErrorBufferBytes];
        if (Set(conf, "log_level", "4", error) != 0)
        {
            _confDestroy(conf);
            throw new InvalidOperationException($"librdkafka rejected a setting: {Text(error)}");
        }
        // On success rd_kafka_new owns conf; on failure it is still ours to free.
        var client = _new(ProducerType, conf, error, ErrorBufferBytes);
        if (client != 0) return client;
        _confDestroy(conf);
        throw new InvalidOperationException($"librdkafka could not create a client: {Text(error)}");
    }

    public void DestroyClient(nint client) => _destroy(client);

    /// <summary>
    /// The id of the cluster the brokers in <paramref name="settings"/> belong to, as their metadata reports it, or null
    /// when none answered within <paramref name="timeout"/>. Confluent.Kafka offers it only through DescribeCluster,
    /// which the mock brokers do not answer. The client logs nothing: the caller reports what went wrong.
    /// </summary>
    /// <param name="settings">A client configuration (bootstrap servers, security); Confluent.Kafka's own dotnet.* keys are left out.</param>
    /// <exception cref="ArgumentException">librdkafka rejected a setting.</exception>
    public string? ClusterId(IEnumerable<KeyValuePair<string, string>> settings, TimeSpan timeout)
    {
        var conf = _confNew();
        var error = stackalloc byte[ErrorBufferBytes];
        foreach (var (name, value) in settings.Where(s => !s.Key.StartsWith("dotnet.", StringComparison.Ordinal)).Append(new("log_level", "0")))
        {
            if (Set(conf, name, value, error) == 0) continue;
            _confDestroy(conf);
            throw new ArgumentException($"Kafka client settings rejected: {Text(error)}");
        }
        var client = _new(ProducerType, conf, error, ErrorBufferBytes);
        if (client == 0)
        {
            _confDestroy(conf);
            throw new ArgumentException($"Kafka client settings rejected: {Text(error)}");
        }
        try
        {
            var id = _clusterId(client, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
            if (id is null) return null;
            try
            {
                return Text(id);
            }
            finally
            {
                _memFree(client, id);
            }
        }
        finally
        {
            _destroy(client);
        }
    }

    public nint NewMockCluster(nint client, int brokers)
    {
        var cluster = _mockClusterNew(client, brokers);
        return cluster != 0 ? cluster : throw new InvalidOperationException($"librdkafka could not start a mock cluster of {brokers} brokers.");
    }

    public void DestroyMockCluster(nint cluster) => _mockClusterDestroy(cluster);

    public string MockClusterBootstraps(nint cluster) => Marshal.PtrToStringUTF8((nint)_mockClusterBootstraps(cluster))!;

    public ErrorCode MockTopicCreate(nint cluster, string topic, int partitions, int replicationFactor)
    {
        fixed (byte* name = NullTerminated(topic))
            return (ErrorCode)_mockTopicCreate(cluster, name, partitions, replicationFactor);
    }

    /// <param name="brokerId">A broker's id (1 to the broker count), or -1 for all.</param>
    public ErrorCode MockBrokerSetDown(nint cluster, int brokerId) => (ErrorCode)_mockBrokerSetDown(cluster, brokerId);

    /// <param name="brokerId">A broker's id (1 to the broker count), or -1 for all.</param>
    public ErrorCode MockBrokerSetUp(nint cluster, int brokerId) => (ErrorCode)_mockBrokerSetUp(cluster, brokerId);

    public void MockGroupInitialRebalanceDelay(nint cluster, int milliseconds) => _mockGroupInitialRebalanceDelayMs(cluster, milliseconds);

    /// <summary>Metadata answers name <paramref name="error"/> for the topic (NoError clears it), as brokers do for a missing ACL.</summary>
    public void MockTopicSetError(nint cluster, string topic, ErrorCode error)
    {
        fixed (byte* name = NullTerminated(topic))
            _mockTopicSetError(cluster, name, (int)error);
    }

    private int Set(nint conf, string name, string value, byte* error)
    {
        fixed (byte* namePointer = NullTerminated(name))
        fixed (byte* valuePointer = NullTerminated(value))
            return _confSet(conf, namePointer, valuePointer, error, ErrorBufferBytes);
    }

    private static byte[] NullTerminated(string text) => Encoding.UTF8.GetBytes(text + '\0');

    private static string Text(byte* utf8) => Marshal.PtrToStringUTF8((nint)utf8) ?? "";

    private static string FindLoadedLibrary()
    {
        Library.Load();
        using var process = Process.GetCurrentProcess();
        return process.Modules.Cast<ProcessModule>()
                   .Select(module => module.FileName)
                   .FirstOrDefault(file => Path.GetFileName(file).Contains("librdkafka", StringComparison.OrdinalIgnoreCase))
               ?? throw new InvalidOperationException("Confluent.Kafka reported librdkafka loaded, but no librdkafka is among the process's modules.");
    }
}
