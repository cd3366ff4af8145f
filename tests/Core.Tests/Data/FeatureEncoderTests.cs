using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class FeatureEncoderTests
{
    private static FeatureSchema Schema(params DenseFeature[] dense) => new("clicked", dense, [new SparseFeature("user_id", 1000)]);

    [Theory]
    [InlineData(null, 0f)]
    [InlineData(-5.0, 0f)]
    [InlineData(0.0, 0f)]
    [InlineData(Math.E - 1, 1f)]
    [InlineData(1e6, 13.815511557963774f)]
    public void Log1pTakesTheLogOf1PlusTheValueClampedAt0AndAMissingValueIs0(double? raw, float expected)
    {
        var encoder = new FeatureEncoder(FeatureSchema.Criteo(), FeatureStatistics.None);

        Assert.Equal(expected, encoder.EncodeDense(3, raw), tolerance: 1e-6f);
    }

    [Fact]
    public void NoneKeepsTheValue()
    {
        var encoder = new FeatureEncoder(Schema(new DenseFeature("hour")), FeatureStatistics.None);

        Assert.Equal(-7.5f, encoder.EncodeDense(0, -7.5));
    }

    [Fact]
    public void StandardizeSubtractsTheMeanAndDividesByTheDeviation()
    {
        var statistics = new FeatureStatistics(new Dictionary<string, DenseMoments> { ["score"] = new(10, 4) });
        var encoder = new FeatureEncoder(Schema(new DenseFeature("score", DenseTransform.Standardize)), statistics);

        Assert.Equal(1.5f, encoder.EncodeDense(0, 13));
        Assert.Equal(0f, encoder.EncodeDense(0, null));
    }

    [Fact]
    public void AMissingValueTakesTheDefaultThroughTheTransform()
    {
        var encoder = new FeatureEncoder(Schema(new DenseFeature("price", DenseTransform.Log1p, Default: Math.E - 1)), FeatureStatistics.None);

        Assert.Equal(1f, encoder.EncodeDense(0, null), tolerance: 1e-6f);
    }

    [Fact]
    public void AStandardizedFeatureWithoutMomentsIsRefused()
    {
        var refusal = Assert.Throws<ArgumentException>(() => new FeatureEncoder(Schema(new DenseFeature("score", DenseTransform.Standardize)), FeatureStatistics.None));

        Assert.Contains("score", refusal.Message);
    }

    [Fact]
    public void AMissingSparseValueGetsRow0()
    {
        var schema = Schema(new DenseFeature("hour"));
        var encoder = new FeatureEncoder(schema, FeatureStatistics.None);

        Assert.Equal(0, encoder.RowOf(new ClickEvent(schema), 0));
    }

    [Fact]
    public void EachTableUsesItsOwnRows()
    {
        var schema = new FeatureSchema("label", [new DenseFeature("x")], [new SparseFeature("C9", 3), new SparseFeature("C9b", 1000)]);
        var encoder = new FeatureEncoder(schema, FeatureStatistics.None);

        Assert.Equal(FeatureHashing.RowOf(FeatureHashing.Hash("C9", 0xdeadbeefL), 3), encoder.RowOf(0, new SparseValue(0xdeadbeefL)));
        Assert.Equal(FeatureHashing.RowOf(FeatureHashing.Hash("C9b", 0xdeadbeefL), 1000), encoder.RowOf(1, new SparseValue(0xdeadbeefL)));
    }
}
