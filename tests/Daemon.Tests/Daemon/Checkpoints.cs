using Recurring.Checkpointing;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>Reads a test daemon's checkpoint folder with the checkpointing library, as an operator's tools would.</summary>
internal static class Checkpoints
{
    /// <summary>Every checkpoint, oldest first, each verified against its manifest.</summary>
    public static async Task<IReadOnlyList<CheckpointStatus>> ListAsync(DaemonSetup setup)
    {
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = setup.CheckpointDirectory });
        var list = await manager.ListAsync(hashContents: true, CancellationToken.None);
        Assert.All(list, c => Assert.True(c.IsValid, $"{c.Id}: {c.Problem}"));
        return list.Reverse().ToList();
    }

    public static async Task<IReadOnlyList<CheckpointManifest>> StreamingManifestsAsync(DaemonSetup setup) =>
        (await ListAsync(setup)).Select(c => c.Manifest!).Where(m => m.Stage.Kind == TrainingStage.Streaming).ToList();

    /// <summary>Next offset per partition, as the manifest holds them.</summary>
    public static IReadOnlyDictionary<int, long> Positions(CheckpointManifest manifest, string topic) =>
        manifest.Positions.Kafka.Where(p => p.Topic == topic).ToDictionary(p => p.Partition, p => p.NextOffset);
}
