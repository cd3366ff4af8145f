namespace Recurring.Checkpointing.Tests;

public class CheckpointIdTests
{
    private static readonly DateTime Created = new(2026, 11, 26, 14, 0, 5, 123, DateTimeKind.Utc);

    [Fact]
    public void NameOrderIsSequenceOrderWhateverTheClockAndTheStepCounterSay()
    {
        var earlier = CheckpointId.Create(sequence: 9, Created.AddYears(1), steps: 900_000);
        var later = CheckpointId.Create(sequence: 10, Created, steps: 10);
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
        Assert.True(CheckpointId.NewestFirst.Compare(later, earlier) < 0);
    }

    [Fact]
    public void NameCarriesTheSequenceTheCreationTimeAndTheStep()
    {
        var id = CheckpointId.Create(sequence: 42, Created, steps: 12345);
        Assert.Equal("ckpt-s000000000042-20261126T140005.123Z-000000012345", id);
        Assert.True(CheckpointId.TryParse(id, out var parsed, out long sequence));
        Assert.Equal(Created, parsed);
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
        Assert.Equal(42, sequence);
    }

    [Fact]
    public void AFormerNameWithoutASequenceParsesAsSequenceZeroAndSortsBeforeEveryNewerName()
    {
        const string former = "ckpt-20991126T140005.123Z-000000012345";
        Assert.True(CheckpointId.TryParse(former, out var parsed, out long sequence));
        Assert.Equal(new DateTime(2099, 11, 26, 14, 0, 5, 123, DateTimeKind.Utc), parsed);
        Assert.Equal(0, sequence);
        Assert.True(string.CompareOrdinal(former, CheckpointId.Create(sequence: 1, Created, steps: 0)) < 0);
    }

    [Theory]
    [InlineData(".tmp-write-ckpt-s000000000001-20261126T140005.123Z-000000012345")]
    [InlineData("lost+found")]
    [InlineData("ckpt-20261126T140005Z-000000012345")]
    [InlineData("ckpt-20261126T140005.123Z-12")]
    [InlineData("ckpt-s12-20261126T140005.123Z-000000012345")]
    [InlineData("ckpt-sxxxxxxxxxxxx-20261126T140005.123Z-000000012345")]
    public void OtherFolderNamesAreNotCheckpoints(string name) => Assert.False(CheckpointId.TryParse(name, out _));
}
