using Recurring.Core.Data.Synthetic;

namespace Recurring.Core.Tests.Data.Synthetic;

public class CategoricalVocabularyTests
{
    private const int Cardinality = 10_000;

    /// <summary>One new ID every 1000 events.</summary>
    private static CategoricalVocabulary Vocabulary(double newIdsPerEvent = 0.001) =>
        new(new ZipfSampler(Cardinality, 1.15), slotOffset: 0xC0FFEE, newIdsPerEvent);

    [Theory]
    [InlineData(0L)]
    [InlineData(123_456_789L)]
    public void RankOfRecoversTheRankOfEveryId(long eventIndex)
    {
        var vocabulary = Vocabulary();

        for (int rank = 1; rank <= Cardinality; rank++)
            Assert.Equal(rank, vocabulary.RankOf(vocabulary.IdAt(rank, eventIndex), eventIndex));
    }

    [Fact]
    public void EveryRankHasItsOwnId()
    {
        var vocabulary = Vocabulary();

        var ids = Enumerable.Range(1, Cardinality).Select(rank => vocabulary.IdAt(rank, 0)).ToHashSet();

        Assert.Equal(Cardinality, ids.Count);
    }

    [Fact]
    public void ANewIdTakesRankOneAndPushesOlderIdsDown()
    {
        var vocabulary = Vocabulary();
        uint newcomer = vocabulary.IdAt(1, 1_000);

        Assert.Equal(0, vocabulary.RankOf(newcomer, 0));
        Assert.Equal(vocabulary.IdAt(1, 0), vocabulary.IdAt(2, 1_000));
        Assert.Equal(vocabulary.IdAt(Cardinality - 1, 0), vocabulary.IdAt(Cardinality, 1_000));
    }

    [Fact]
    public void TheLeastPopularIdLeavesWhenANewIdArrives()
    {
        var vocabulary = Vocabulary();

        Assert.Equal(0, vocabulary.RankOf(vocabulary.IdAt(Cardinality, 0), 1_000));
    }

    [Fact]
    public void WithoutNewIdsRanksKeepTheirIds()
    {
        var vocabulary = Vocabulary(newIdsPerEvent: 0);

        Assert.Equal(vocabulary.IdAt(1, 0), vocabulary.IdAt(1, long.MaxValue / 2));
    }
}
