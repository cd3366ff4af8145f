using Recurring.Checkpointing;
using Recurring.Daemon.Status;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// Failing closed: a checkpoint folder holding checkpoints of which none verifies is a problem to look at, not a
/// fresh start. Rerunning the offline phase there would silently throw the trained model away.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class FreshStartTests(KafkaClusterFixture kafka)
{
    private const string Damaged = "ckpt-s000000000007-20261201T120000.000Z-000000000100";

    private static void PlaceDamagedCheckpoint(DaemonSetup setup)
    {
        var folder = Directory.CreateDirectory(Path.Combine(setup.CheckpointDirectory, Damaged));
        File.WriteAllText(Path.Combine(folder.FullName, CheckpointFiles.Manifest), "{ \"formatVersion\": 2, \"id\": \"" + Damaged + "\" }");
    }

    [Fact]
    public async Task WhenNoCheckpointVerifiesTheStartIsRefusedWithExitCode2AndNothingIsWritten()
    {
        using var setup = new DaemonSetup(kafka);
        PlaceDamagedCheckpoint(setup);
        try
        {
            await using var daemon = await RunningDaemon.StartAsync(setup);

            var failed = await Eventually.Until(() => daemon.Current, s => s.Activity.Activity == DaemonActivity.Failed, "the start is refused", RunningDaemon.Describe);

            Assert.Contains("Checkpoints:AllowFreshStart=true", failed.Activity.FailureReason);
            Assert.Contains(Damaged, failed.Activity.FailureReason);
            Assert.Equal(2, Environment.ExitCode);
            Assert.Equal([Damaged], Directory.GetDirectories(setup.CheckpointDirectory).Select(Path.GetFileName));
        }
        finally
        {
            Environment.ExitCode = 0;
        }
    }

    [Fact]
    public async Task AllowFreshStartRunsTheOfflinePhaseBesideTheDamagedCheckpoint()
    {
        using var setup = new DaemonSetup(kafka).With("Checkpoints:AllowFreshStart", "true");
        PlaceDamagedCheckpoint(setup);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);

        var newestFirst = await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = setup.CheckpointDirectory }).ListAsync(CancellationToken.None);

        Assert.Equal(TrainingStage.OfflineFinal, newestFirst[0].Manifest!.Stage.Kind);
        Assert.True(newestFirst[0].Manifest!.Sequence > 7, "the sequence goes on after the damaged checkpoint's");
        Assert.False(newestFirst.Single(c => c.Id == Damaged).IsValid);
    }
}
