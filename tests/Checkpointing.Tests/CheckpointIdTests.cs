namespace Recurring.Checkpointing.Tests;

public class CheckpointIdTests
{
    [Fact]
    public void NameOrderIsTimeOrderEvenWhenTheStepCounterStartsAgain()
    {
        var earlier = CheckpointId.Create(new DateTime(2026, 11, 26, 14, 0, 0, DateTimeKind.Utc), steps: 900_000);
        var later = CheckpointId.Create(new DateTime(2026, 11, 26, 14, 0, 0, 1, DateTimeKind.Utc), steps: 10);
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
    }

    [Fact]
    public void NameCarriesTheCreationTimeAndTheStep()
    {
        var created = new DateTime(2026, 11, 26, 14, 0, 5, 123, DateTimeKind.Utc);
        var id = CheckpointId.Create(created, steps: 12345);
        Assert.Equal("ckpt-20261126T140005.123Z-000000012345", id);
        Assert.True(CheckpointId.TryParse(id, out var parsed));
        Assert.Equal(created, parsed);
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
    }

    [Theory]
    [InlineData(".tmp-write-ckpt-20261126T140005.123Z-000000012345")]
    [InlineData("lost+found")]
    [InlineData("ckpt-20261126T140005Z-000000012345")]
    [InlineData("ckpt-20261126T140005.123Z-12")]
    public void OtherFolderNamesAreNotCheckpoints(string name) => Assert.False(CheckpointId.TryParse(name, out _));
}
