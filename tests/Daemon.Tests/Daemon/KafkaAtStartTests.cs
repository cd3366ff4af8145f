using Recurring.Daemon.Status;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>The brokers are checked at start, before the offline phase (see also Reliability.UnreachableKafkaTests).</summary>
[Collection(DaemonCollection.Name)]
public sealed class KafkaAtStartTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task WithRequireAtStartAnUnreachableKafkaRefusesTheStartWithOneLineAndExitCode2BeforeAnyTraining()
    {
        using var setup = new DaemonSetup(kafka)
            .With("Kafka:BootstrapServers", "127.0.0.1:1")
            .With("Kafka:RequireAtStart", "true");
        try
        {
            await using var daemon = await RunningDaemon.StartAsync(setup);

            var failed = await Eventually.Until(() => daemon.Current, s => s.Activity.Activity is DaemonActivity.Failed or DaemonActivity.Offline,
                "the start is refused", RunningDaemon.Describe);

            Assert.Equal(DaemonActivity.Failed, failed.Activity.Activity);
            Assert.StartsWith("Kafka at 127.0.0.1:1 does not answer: ", failed.Activity.FailureReason);
            Assert.Contains("Connection refused", failed.Activity.FailureReason);
            Assert.EndsWith("(the start is refused because Kafka:RequireAtStart is true).", failed.Activity.FailureReason);
            Assert.False(failed.Reader.Reachable);
            Assert.Contains(failed.Reader.Error!, failed.Activity.FailureReason);
            Assert.Equal(2, Environment.ExitCode);
            Assert.False(Directory.Exists(setup.CheckpointDirectory) && Directory.EnumerateFileSystemEntries(setup.CheckpointDirectory).Any());
        }
        finally
        {
            Environment.ExitCode = 0;
        }
    }

    /// <summary>Kafka:Properties is free-form, so only librdkafka can tell a misspelt setting: at start, as a configuration error.</summary>
    [Fact]
    public async Task ASettingLibrdkafkaRefusesStopsTheStartWithOneLineAndExitCode2()
    {
        using var setup = new DaemonSetup(kafka).With("Kafka:Properties:sasl.mechansim", "PLAIN");
        try
        {
            await using var daemon = await RunningDaemon.StartAsync(setup);

            var failed = await Eventually.Until(() => daemon.Current, s => s.Activity.Activity is DaemonActivity.Failed or DaemonActivity.Offline or DaemonActivity.Streaming,
                "the start is refused", RunningDaemon.Describe);

            Assert.Equal(DaemonActivity.Failed, failed.Activity.Activity);
            Assert.Contains("sasl.mechansim", failed.Activity.FailureReason);
            Assert.EndsWith("(check Kafka:Properties).", failed.Activity.FailureReason);
            Assert.Equal(2, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = 0;
        }
    }
}
