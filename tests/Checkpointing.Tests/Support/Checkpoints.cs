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
}
