using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Offline;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>The reliability tests run one at a time: each drives daemon processes on the shared cores, and timing matters to some.</summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityFixture>
{
    public const string Name = "Reliability";
}

/// <summary>
/// What every reliability scenario starts from: a tiny DLRM's offline-final checkpoint, trained once per test run
/// and copied into each daemon's checkpoint folder, so every run (uninterrupted, crashed, corrupted, ...) starts
/// from byte-identical state; and the synthetic events the streaming phase trains on.
/// </summary>
public sealed class ReliabilityFixture : IAsyncLifetime
{
    /// <summary>Set (to 1) to run the soak versions: more kills, more events. Not RECURRING_: that prefix is configuration, and an unknown key fails the start.</summary>
    public const string SoakVariable = "RELIABILITY_SOAK";

    /// <summary>Streaming events continue the synthetic history after the offline phase's events.</summary>
    public const long FirstStreamingEvent = 1_000_000;

    public static bool Soak => Environment.GetEnvironmentVariable(SoakVariable) is { Length: > 0 } value && value != "0";

    /// <summary>The model and offline phase, small enough that a daemon starts in about a second and trains thousands of events per second.</summary>
    public static readonly IReadOnlyList<string> ModelArguments =
    [
        "--Model:RowsPerTable=1000",
        "--Model:EmbeddingDim=4",
        // appsettings.json lists five bottom and two top widths; overrides replace them index by index.
        "--Model:BottomLayers:0=13",
        "--Model:BottomLayers:1=32",
        "--Model:BottomLayers:2=16",
        "--Model:BottomLayers:3=8",
        "--Model:BottomLayers:4=4",
        "--Model:TopHidden:0=32",
        "--Model:TopHidden:1=16",
        "--Training:BatchSize=64",
        "--Training:Seed=5",
        "--Offline:SyntheticEvents=1024",
        "--Offline:EvalEvents=256",
        "--Offline:EvaluateEverySteps=1000",
        "--Offline:Amgp:Mode=dense",
        "--Synthetic:CalibrationSampleSize=4000",
    ];

    private SyntheticClickGenerator? _generator;
    private readonly SemaphoreSlim _referenceLock = new(1, 1);
    private ReferenceRun? _reference;

    /// <summary>A folder holding one checkpoint: the offline phase's final (pinned) model.</summary>
    public string SeedCheckpoints { get; } = Directory.CreateTempSubdirectory("recurring-seed-").FullName;

    public string SeedId { get; private set; } = "";

    public SyntheticClickGenerator Generator => _generator!;

    /// <summary>The broker most scenarios use (one topic each); the outage scenario takes its brokers down and has its own.</summary>
    public EmbeddedKafkaCluster Cluster { get; } = new();

    public async Task InitializeAsync()
    {
        var settings = RecurringSettings.Bind(RecurringConfiguration.Build([.. ModelArguments, "--Training:Device=cpu"]));
        Assert.Empty(settings.Validate());
        _generator = new SyntheticClickGenerator(settings.Synthetic);
        using var setup = OfflineSetup.Create(settings, CPU);
        var checkpoints = CheckpointWriter.ForDirectory(SeedCheckpoints, new CheckpointOptions());
        var (_, final) = await new OfflinePhase(setup, checkpoints, long.MaxValue).RunAsync(setup.CreateTrainer(), CancellationToken.None);
        SeedId = final!.Id;
    }

    /// <summary>The Kafka value of streaming event <paramref name="index"/> (0-based within the stream).</summary>
    public byte[] GoodEvent(long index, Action<CriteoRecord>? edit = null)
    {
        var record = new CriteoRecord();
        Generator.Generate(FirstStreamingEvent + index, record);
        edit?.Invoke(record);
        using var encoder = new ClickEventEncoder();
        return encoder.Encode(record);
    }

    /// <summary>Streaming event <paramref name="index"/> as a JSON message (Kafka:Format=json) under the Criteo preset's names.</summary>
    public byte[] GoodJsonEvent(long index)
    {
        var record = new CriteoRecord();
        Generator.Generate(FirstStreamingEvent + index, record);
        using var encoder = new ClickEventEncoder(KafkaEventFormat.Json, FeatureSchema.Criteo());
        return encoder.Encode(record);
    }

    public static byte[] Key(long index) => ClickEventEncoder.EventIndexKey(FirstStreamingEvent + index);

    /// <summary>Copies the checkpoints in <paramref name="from"/> into <paramref name="directory"/> (created).</summary>
    public static void CopyCheckpoints(string from, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// The uninterrupted run over <see cref="ReferenceRun.Events"/>, done once and shared by the scenarios that
    /// compare against it: its final checkpoint is what every interrupted run must end bit-identical to.
    /// </summary>
    public async Task<ReferenceRun> ReferenceAsync(ITestOutputHelper output)
    {
        await _referenceLock.WaitAsync();
        try
        {
            return _reference ??= await ReferenceRun.RunAsync(this, output);
        }
        finally
        {
            _referenceLock.Release();
        }
    }

    public Task DisposeAsync()
    {
        _reference?.Dispose();
        Cluster.Dispose();
        Directory.Delete(SeedCheckpoints, recursive: true);
        return Task.CompletedTask;
    }
}
