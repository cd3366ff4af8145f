namespace Recurring.Checkpointing.Tests;

public class CheckpointOptionsTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(new CheckpointOptions().Validate());

    [Fact]
    public void EachBadSettingIsNamedOnItsOwnLine()
    {
        var errors = new CheckpointOptions { Directory = " ", KeepLast = 0, KeepDailyDays = -1, RetryAttempts = -1, RetryMaxDelayMilliseconds = 10 }.Validate();
        Assert.Equal(
            ["Checkpoints:Directory", "Checkpoints:KeepLast", "Checkpoints:KeepDailyDays", "Checkpoints:RetryAttempts", "Checkpoints:RetryMaxDelayMilliseconds"],
            errors.Select(e => e.Split(' ')[0]));
    }
}
