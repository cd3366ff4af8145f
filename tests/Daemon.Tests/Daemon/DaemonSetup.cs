using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// A daemon configuration for tests: a model and offline phase small enough to train in a second, batches of
/// <see cref="BatchSize"/> events, a topic and consumer group of its own on the test's cluster, and a temporary
/// folder for checkpoints and dead letters that several runs (a restart) can share.
/// </summary>
internal sealed class DaemonSetup : IDisposable
{
    public const int BatchSize = 64;
    public const string Token = "test-admin-token-0123456789";

    /// <summary>Warnings and errors only, unless DAEMON_TEST_LOG_LEVEL asks for more (e.g. Information); not RECURRING_, which is configuration.</summary>
    private static readonly string LogLevel = Environment.GetEnvironmentVariable("DAEMON_TEST_LOG_LEVEL") ?? "Warning";

    private readonly Dictionary<string, string> _settings;

    public DaemonSetup(KafkaClusterFixture kafka, int partitions = 4)
    {
        Folder = Directory.CreateTempSubdirectory("recurring-daemon-").FullName;
        Topic = kafka.NewTopic(partitions);
        _settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Serilog:MinimumLevel:Default"] = LogLevel,
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = LogLevel,
            ["Training:Device"] = "cpu",
            // One intra-op thread: the same batches give the same weights, so a test can retrace training exactly.
            ["Training:Deterministic"] = "true",
            ["Training:BatchSize"] = "128",
            ["Model:EmbeddingDim"] = "4",
            ["Model:RowsPerTable"] = "1000",
            // appsettings.json lists five bottom and two top widths; configuration merges lists index by index,
            // so every index is given here.
            ["Model:BottomLayers:0"] = "13",
            ["Model:BottomLayers:1"] = "16",
            ["Model:BottomLayers:2"] = "8",
            ["Model:BottomLayers:3"] = "8",
            ["Model:BottomLayers:4"] = "4",
            ["Model:TopHidden:0"] = "16",
            ["Model:TopHidden:1"] = "8",
            ["Offline:SyntheticEvents"] = "1024",
            ["Offline:EvalEvents"] = "256",
            ["Offline:EvaluateEverySteps"] = "4",
            ["Offline:Amgp:Mode"] = "dense",
            ["Synthetic:CalibrationSampleSize"] = "1000",
            ["Streaming:MaxBatchSize"] = $"{BatchSize}",
            ["Streaming:MaxBatchWaitMilliseconds"] = "50",
            ["Streaming:MetricsWindowEvents"] = "2000",
            ["Streaming:DeadLetterFile"] = DeadLetterFile,
            ["Checkpoints:Directory"] = CheckpointDirectory,
            ["Checkpoints:EveryEvents"] = "256",
            ["Checkpoints:EverySeconds"] = "60",
            // Keep every checkpoint, so a test can read the whole history.
            ["Checkpoints:KeepLast"] = "1000",
            ["Kafka:BootstrapServers"] = kafka.Cluster.BootstrapServers,
            ["Kafka:Topic"] = Topic,
            ["Kafka:GroupId"] = $"group-{Guid.NewGuid():N}",
            ["Kafka:StartFrom"] = "earliest",
            // Below real brokers' 6 s minimum, which the mock accepts, so a broker outage costs the consumer its
            // partitions within a test's time. librdkafka's default heartbeat (3 s) would let such a session expire.
            ["Kafka:SessionTimeoutMilliseconds"] = "3000",
            ["Kafka:Properties:heartbeat.interval.ms"] = "500",
            // The mock brokers answer a fetch only when its wait is over, new messages or not: keep that short.
            ["Kafka:Properties:fetch.wait.max.ms"] = "20",
            ["Kafka:DeliveryTimeoutMilliseconds"] = "5000",
            ["Admin:BindAddress"] = "127.0.0.1",
            ["Admin:Port"] = "0",
            ["Admin:Token"] = Token,
        };
    }

    /// <summary>The host environment the daemon runs in; null: as the process's (Production, since tests set none).</summary>
    public string? EnvironmentName { get; private set; }

    public string Folder { get; }
    public string Topic { get; }
    public string GroupId => _settings["Kafka:GroupId"];
    public string CheckpointDirectory => Path.Combine(Folder, "checkpoints");
    public string DeadLetterFile => Path.Combine(Folder, "dead-letters.jsonl");

    /// <summary>Sets (or, with null, removes) one configuration key for the next runs.</summary>
    public DaemonSetup With(string key, string? value)
    {
        if (value is null) _settings.Remove(key);
        else _settings[key] = value;
        return this;
    }

    public DaemonSetup InEnvironment(string environmentName)
    {
        EnvironmentName = environmentName;
        return this;
    }

    /// <summary>The command-line overrides, as `recurring run` would pass them.</summary>
    public IReadOnlyList<string> Overrides() => _settings.Select(s => $"--{s.Key}={s.Value}").ToList();

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
