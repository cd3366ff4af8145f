using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Recurring.Daemon.Kafka;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// One daemon's world for a scenario: a fresh topic on a broker the test process holds, a working folder with the
/// seed checkpoint, and the configuration every start of the daemon gets. Batches are cut only when full (the batch
/// wait is an hour) and all events are produced before the daemon starts, so batch boundaries depend on the event
/// sequence alone, whatever happens to the process.
/// </summary>
internal sealed class DaemonScenario : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;
    private readonly List<string> _extraArguments;
    private bool _succeeded;

    public DaemonScenario(ReliabilityFixture fixture, EmbeddedKafkaCluster cluster, ITestOutputHelper output, string name, int batchSize,
        long checkpointEveryEvents, int partitions = 1, IEnumerable<string>? extraArguments = null, string? seedCheckpoints = null)
    {
        _output = output;
        Cluster = cluster;
        BatchSize = batchSize;
        Root = Directory.CreateTempSubdirectory($"recurring-{name}-").FullName;
        Checkpoints = Path.Combine(Root, "checkpoints");
        DeadLetterFile = Path.Combine(Root, "dead-letters.jsonl");
        LogFile = Path.Combine(Root, "daemon.log");
        Topic = $"{name}-{Guid.NewGuid():N}";
        GroupId = $"recurring-{name}-{Guid.NewGuid():N}";
        cluster.CreateTopic(Topic, partitions);
        ReliabilityFixture.CopyCheckpoints(seedCheckpoints ?? fixture.SeedCheckpoints, Checkpoints);
        _extraArguments = extraArguments?.ToList() ?? [];
        Arguments =
        [
            .. ReliabilityFixture.ModelArguments,
            $"--Kafka:BootstrapServers={cluster.BootstrapServers}",
            $"--Kafka:Topic={Topic}",
            $"--Kafka:GroupId={GroupId}",
            "--Kafka:StartFrom=Earliest",
            // The mock broker accepts it: a killed member leaves the group after 3 s instead of 45.
            "--Kafka:SessionTimeoutMilliseconds=3000",
            // librdkafka's default heartbeat (3 s) would let such a session lapse between two heartbeats.
            "--Kafka:Properties:heartbeat.interval.ms=1000",
            "--Kafka:DeliveryTimeoutMilliseconds=5000",
            "--Training:Device=cpu",
            "--Training:Deterministic=true",
            $"--Streaming:MaxBatchSize={batchSize}",
            "--Streaming:MaxBatchWaitMilliseconds=3600000",
            $"--Streaming:DeadLetterFile={DeadLetterFile}",
            $"--Checkpoints:Directory={Checkpoints}",
            $"--Checkpoints:EveryEvents={checkpointEveryEvents}",
            "--Checkpoints:EverySeconds=3600",
            "--Checkpoints:KeepLast=3",
            "--Checkpoints:RetryBaseDelayMilliseconds=50",
            "--Checkpoints:RetryMaxDelayMilliseconds=200",
            "--Admin:BindAddress=127.0.0.1",
            "--Admin:Port=0",
            "--Admin:ReadyMaxCheckpointAgeSeconds=3600",
            .. _extraArguments,
        ];
    }

    public EmbeddedKafkaCluster Cluster { get; }
    public int BatchSize { get; }
    public string Root { get; }
    public string Checkpoints { get; }
    public string DeadLetterFile { get; }
    public string LogFile { get; }
    public string Topic { get; }
    public string GroupId { get; }
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Daemon starts so far.</summary>
    public int Starts { get; private set; }

    /// <summary>Produces the messages, in order, to partition 0 and waits until every one is acknowledged.</summary>
    public void Produce(IEnumerable<(byte[]? Key, byte[] Value)> messages)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig
            {
                BootstrapServers = Cluster.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 5,
            })
            .SetLogHandler((_, _) => { })
            .Build();
        long failed = 0, sent = 0, bytes = 0;
        var partition = new TopicPartition(Topic, 0);
        foreach (var (key, value) in messages)
        {
            while (true)
            {
                try
                {
                    producer.Produce(partition, new Message<byte[]?, byte[]> { Key = key, Value = value }, r =>
                    {
                        if (r.Error.IsError) Interlocked.Increment(ref failed);
                    });
                    break;
                }
                catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
            sent++;
            bytes += value?.Length ?? 0;
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, Interlocked.Read(ref failed));
        _output.WriteLine($"produced {sent} messages ({bytes / 1e6:F2} MB) to {Topic}");
    }

    /// <summary>Starts the daemon and waits until its admin port answers.</summary>
    public async Task<DaemonProcess> StartAsync(IEnumerable<string>? moreArguments = null)
    {
        Starts++;
        var daemon = DaemonProcess.Start(Root, LogFile, [.. Arguments, .. moreArguments ?? []]);
        if (await daemon.AdminAsync(StartTimeout) is null)
        {
            daemon.Kill();
            Fail($"daemon start {Starts} did not open its admin port (exited: {daemon.HasExited})");
        }
        return daemon;
    }

    /// <summary>Starts the daemon without waiting for anything.</summary>
    public DaemonProcess StartNoWait()
    {
        Starts++;
        return DaemonProcess.Start(Root, LogFile, Arguments);
    }

    /// <summary>Polls /status (every 10 ms) until <paramref name="until"/> holds; fails on timeout or when the daemon exits.</summary>
    public async Task<JsonElement> WaitForStatusAsync(DaemonProcess daemon, Func<JsonElement, bool> until, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        JsonElement? last = null;
        while (deadline.Elapsed < timeout)
        {
            if (daemon.HasExited) Fail($"the daemon exited (code {daemon.ExitCode}) while waiting for {what}");
            if (await daemon.StatusAsync() is { } status)
            {
                last = status;
                if (until(status)) return status;
            }
            await Task.Delay(10);
        }
        Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; last status: {last?.GetProperty("streaming")}");
        return default;
    }

    /// <summary>SIGTERM, then the exit code (expected 0: a graceful stop after a final checkpoint).</summary>
    public async Task StopAsync(DaemonProcess daemon)
    {
        daemon.Terminate();
        if (!await daemon.WaitForExitAsync(StopTimeout))
        {
            daemon.Kill();
            Fail($"the daemon did not stop within {StopTimeout.TotalSeconds:F0} s of SIGTERM");
        }
        if (daemon.ExitCode != 0) Fail($"the daemon exited with code {daemon.ExitCode} after SIGTERM");
    }

    public static long Consumed(JsonElement status) => status.GetProperty("streaming").GetProperty("eventsConsumed").GetInt64();
    public static long Trained(JsonElement status) => status.GetProperty("streaming").GetProperty("eventsTrained").GetInt64();
    /// <summary>Streaming from assigned partitions (the phase begins earlier, while the brokers are asked who they are).</summary>
    public static bool IsStreaming(JsonElement status) =>
        status.GetProperty("phase").GetString() == "streaming" && status.GetProperty("kafka").GetProperty("partitions").GetArrayLength() > 0;

    public static long DeadLettered(JsonElement status) =>
        status.GetProperty("streaming").GetProperty("deadLettered").EnumerateObject().Sum(p => p.Value.GetInt64());

    /// <summary>Call at the end of a test that passed: only then is the scenario's folder (logs, checkpoints) deleted.</summary>
    public void Succeeded() => _succeeded = true;

    /// <summary>Fails with the end of the daemon log; the scenario folder stays for inspection.</summary>
    public void Fail(string message)
    {
        var tail = File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(60)) : "(no log)";
        Assert.Fail($"{message}{Environment.NewLine}folder kept: {Root}{Environment.NewLine}--- daemon log (last 60 lines) ---{Environment.NewLine}{tail}");
    }

    /// <summary>Dead letters written to the file sink, one JSON object per line.</summary>
    public IReadOnlyList<JsonElement> ReadDeadLetters() =>
        File.Exists(DeadLetterFile)
            ? File.ReadLines(DeadLetterFile).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
            : [];

    public void Dispose()
    {
        if (_succeeded)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        else
        {
            _output.WriteLine($"kept {Root} (daemon log: daemon.log)");
        }
    }
}
