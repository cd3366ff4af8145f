namespace Recurring.Checkpointing.Tests;

public class CheckpointOptionsTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(new CheckpointOptions().Validate());

    [Fact]
    public void EachBadSettingIsNamedByItsPropertyOnItsOwnLine()
    {
        var errors = new CheckpointOptions { Directory = " ", KeepLast = 0, KeepDailyDays = -1, RetryAttempts = -1, RetryMaxDelayMilliseconds = 10 }.Validate();
        Assert.Equal(
            ["Directory", "KeepLast", "KeepDailyDays", "RetryAttempts", "RetryMaxDelayMilliseconds"],
            errors.Select(e => e.Split(' ')[0]));
    }

    [Fact]
    public void DeltasNeedAnIntervalShorterThanCheckpointsAndNoRemoteStore()
    {
        var errors = new CheckpointOptions
        {
            Deltas = true,
            DeltaEverySeconds = 300,
            EverySeconds = 300,
            Remote = new RemoteCheckpointOptions { Kind = RemoteCheckpointOptions.AzureBlob, Uri = "https://account.blob.core.windows.net/models/recurring" },
        }.Validate();

        Assert.Equal(
            ["DeltaEverySeconds (300) must be shorter than EverySeconds (300), or no delta would come between two checkpoints.",
             "Deltas are written to the local checkpoint folder only and are not copied to Remote yet: turn Deltas off, or set Remote:Kind to none."],
            errors);
    }

    [Fact]
    public void DeltaEverySecondsIsCheckedEvenWithDeltasOff() =>
        Assert.Equal(["DeltaEverySeconds must be at least 1, not 0."], new CheckpointOptions { DeltaEverySeconds = 0 }.Validate());
}
