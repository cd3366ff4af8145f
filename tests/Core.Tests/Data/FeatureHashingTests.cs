using System.Text;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class FeatureHashingTests
{
    // docs/features.md lists the same vectors; they were computed with an independent Python implementation written
    // from that document alone. Trained models depend on these rows: if this test fails, the change breaks every
    // existing checkpoint and every serving side. Do not update the numbers.
    [Theory]
    [InlineData("C1", 0x68fd1e64L, 100_000, 8181)]
    [InlineData("C2", 0x68fd1e64L, 100_000, 63821)]
    [InlineData("C26", 0x68fd1e64L, 100_000, 38226)]
    [InlineData("C1", 0L, 100_000, 64035)]
    [InlineData("C1", 1L, 100_000, 45500)]
    [InlineData("C14", -1L, 1_000_000, 872304)]
    [InlineData("C3", 0x78dde6e5fd29f054L, int.MaxValue, 1215326253)]
    [InlineData("C9", 0xdeadbeefL, 2, 1)]
    [InlineData("C9", 0xdeadbeefL, 3, 1)]
    [InlineData("user_id", 42L, 200_000, 54163)]
    [InlineData("user_id", -42L, 200_000, 115434)]
    [InlineData("item_id", 42L, 200_000, 41231)]
    [InlineData("item_id", 9007199254740993L, 100_000, 1579)]
    [InlineData("item_id", long.MinValue, 100_000, 79120)]
    public void IntegerRowsNeverChange(string feature, long value, int rows, long expectedRow)
    {
        Assert.Equal(expectedRow, FeatureHashing.RowOf(FeatureHashing.Hash(feature, value), rows));
    }

    [Theory]
    [InlineData("user_id", "42", 200_000, 32245)]
    [InlineData("tags", "sports", 50_000, 21461)]
    [InlineData("tags", "Sports", 50_000, 41244)]
    [InlineData("tags", "", 50_000, 49852)]
    [InlineData("tags", "caf\u00e9", 50_000, 11088)]
    [InlineData("tags", "\u65e5\u672c", 50_000, 5702)]
    [InlineData("tags", "\U0001F600", 50_000, 20431)]
    [InlineData("country", "DE", 1000, 441)]
    [InlineData("country", "de", 1000, 126)]
    [InlineData("city", "DE", 1000, 469)]
    [InlineData("device", "android", 10, 4)]
    public void StringRowsNeverChange(string feature, string value, int rows, long expectedRow)
    {
        Assert.Equal(expectedRow, FeatureHashing.RowOf(FeatureHashing.Hash(feature, Encoding.UTF8.GetBytes(value)), rows));
    }

    [Fact]
    public void AnIntegerAndItsDecimalStringAreDifferentValues()
    {
        Assert.NotEqual(FeatureHashing.Hash("user_id", 42L), FeatureHashing.Hash("user_id", "42"));
    }

    [Fact]
    public void TheSameValueOfTwoFeaturesHashesDifferently()
    {
        Assert.NotEqual(FeatureHashing.Hash("country", "DE"), FeatureHashing.Hash("city", "DE"));
    }

    [Fact]
    public void AnUnsigned64BitIdHashesLikeTheSignedIntegerWithTheSameBits()
    {
        ulong id = 0xfedcba9876543210UL;
        Assert.Equal(FeatureHashing.Hash("C5", unchecked((long)id)), FeatureHashing.HashInteger(FeatureHashing.FeaturePrefix("C5"), unchecked((long)id)));
        Assert.Equal(FeatureHashing.Hash("C5", -81985529216486896L), FeatureHashing.Hash("C5", unchecked((long)id)));
    }

    [Fact]
    public void PresentValuesNeverGetRow0AndStayInsideTheTable()
    {
        for (long value = 0; value < 10_000; value++)
            Assert.InRange(FeatureHashing.RowOf(FeatureHashing.Hash("C12", value * 0x1234567L), 7), 1, 6);
    }
}
