namespace Recurring.Checkpointing.Tests.Support;

/// <summary>Managers over a real temporary folder, with retries immediate so failing tests fail fast.</summary>
internal static class Checkpoints
{
    public static CheckpointOptions Options(string directory, int retryAttempts = 0) => new()
    {
        Directory = directory,
        RetryAttempts = retryAttempts,
        RetryBaseDelayMilliseconds = 1,
        RetryMaxDelayMilliseconds = 1,
    };

    public static CheckpointManager Manager(string directory, TimeProvider? clock = null) =>
        new(new LocalCheckpointStore(directory), Options(directory), time: clock);

    public static CheckpointManager Manager(ICheckpointStore store, int retryAttempts = 0) =>
        new(store, Options(store.Location, retryAttempts));

    /// <summary>Two checkpoints, the newer one a step later, both with <paramref name="positions"/>; returns (older, newer) ids.</summary>
    public static async Task<(string Older, string Newer)> TwoAsync(string directory, DataPositions? positions = null)
    {
        using var run = new TrainingRun(steps: 1);
        var manager = Manager(directory);
        var older = await manager.SaveAsync(run.Snapshot() with { Positions = positions ?? DataPositions.None }, pin: false, CancellationToken.None);
        run.Train(1);
        var newer = await manager.SaveAsync(run.Snapshot() with { Positions = positions ?? DataPositions.None }, pin: false, CancellationToken.None);
        return (older.Id, newer.Id);
    }
}
