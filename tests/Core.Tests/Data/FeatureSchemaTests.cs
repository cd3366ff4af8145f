using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class FeatureSchemaTests
{
    private static readonly FeatureSchema Shop = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour"), new DenseFeature("score", DenseTransform.Standardize)],
        [new SparseFeature("user_id", 200_000), new SparseFeature("item_id", 100_000), new SparseFeature("tags", 100_000, Multi: true, MaxValues: 16, Pooling.Mean)]);

    [Fact]
    public void TheCriteoPresetIsLabelThen13Log1pIntegersThen26Categoricals()
    {
        var criteo = FeatureSchema.Criteo(1000);

        Assert.Equal("label", criteo.Label);
        Assert.Equal(Enumerable.Range(1, 13).Select(i => $"I{i}"), criteo.Dense.Select(d => d.Name));
        Assert.All(criteo.Dense, d => Assert.Equal(DenseTransform.Log1p, d.Transform));
        Assert.Equal(Enumerable.Range(1, 26).Select(i => $"C{i}"), criteo.Sparse.Select(s => s.Name));
        Assert.All(criteo.Sparse, s => Assert.Equal((1000, false), (s.Rows, s.Multi)));
        Assert.True(criteo.HasCriteoLayout);
        Assert.Empty(criteo.Validate());
    }

    [Fact]
    public void EachProblemIsOneLineNamingItsPropertyPath()
    {
        var schema = new FeatureSchema("", [new DenseFeature("price"), new DenseFeature("price", Default: double.NaN)],
            [new SparseFeature("user_id", 1), new SparseFeature("tags", 10, Multi: true, MaxValues: 0)]);

        Assert.Equal(
        [
            "Label must not be empty.",
            "Dense[1].Name 'price' is already the name of Dense[0].Name.",
            "Dense[1].Default must be a finite number, not NaN.",
            "Sparse[0].Rows must be at least 2 (row 0 is reserved for a missing value), not 1.",
            "Sparse[1].MaxValues must be at least 1, not 0.",
        ], schema.Validate());
    }

    [Fact]
    public void TheSameSchemaComparesIdentical()
    {
        var comparison = Shop.CompareWith(new FeatureSchema(Shop.Label, Shop.Dense.ToList(), Shop.Sparse.ToList()));

        Assert.True(comparison.IsIdentical);
    }

    [Fact]
    public void AppendedFeaturesAreAcceptedAsAdditions()
    {
        var grown = new FeatureSchema("clicked", [.. Shop.Dense, new DenseFeature("age")], [.. Shop.Sparse, new SparseFeature("country", 300)]);

        var comparison = grown.CompareWith(Shop);

        Assert.True(comparison.IsCompatible);
        Assert.False(comparison.IsIdentical);
        Assert.Equal(["age"], comparison.AddedDense.Select(d => d.Name));
        Assert.Equal(["country"], comparison.AddedSparse.Select(s => s.Name));
    }

    [Fact]
    public void ARenamedLabelAndAnotherMaxValuesChangeNothingTheModelComputes()
    {
        var relabelled = new FeatureSchema("click", Shop.Dense, [.. Shop.Sparse.Take(2), Shop.Sparse[2] with { MaxValues = 4 }]);

        Assert.True(relabelled.CompareWith(Shop).IsCompatible);
    }

    [Fact]
    public void EveryOtherDifferenceIsOneLineNamingTheFeatureAndWhatChanged()
    {
        var changed = new FeatureSchema("clicked",
            [new DenseFeature("price", DenseTransform.None), new DenseFeature("score", DenseTransform.Standardize)],
            [new SparseFeature("user_id", 100_000), new SparseFeature("item_id", 100_000, Multi: true), new SparseFeature("tags", 100_000, Multi: true, Pooling: Pooling.Sum), new SparseFeature("hour", 24)]);

        Assert.Equal(
        [
            "dense feature 'price': transform is log1p in the checkpoint, none in the configuration.",
            "'hour' is dense in the checkpoint but sparse in the configuration.",
            "dense feature 'score' is number 3 in the checkpoint but 2 in the configuration: new features can only be appended.",
            "sparse feature 'user_id': 200000 rows in the checkpoint, 100000 in the configuration.",
            "sparse feature 'item_id': single-valued in the checkpoint, multi-valued in the configuration.",
            "sparse feature 'tags': pooling is mean in the checkpoint, sum in the configuration.",
        ], changed.CompareWith(Shop).Differences);
    }

    [Fact]
    public void ARemovedFeatureIsADifference()
    {
        var fewer = new FeatureSchema("clicked", Shop.Dense, Shop.Sparse.Take(2).ToArray());

        Assert.Equal(["sparse feature 'tags' is in the checkpoint but not in the configuration: removing a feature needs a new model."],
            fewer.CompareWith(Shop).Differences);
    }

    [Fact]
    public void AnAppendedStandardizedFeatureIsRefusedForItCannotBeMeasured()
    {
        var grown = new FeatureSchema("clicked", [.. Shop.Dense, new DenseFeature("age", DenseTransform.Standardize)], Shop.Sparse);

        Assert.Contains("'age' is new and standardized", Assert.Single(grown.CompareWith(Shop).Differences));
    }
}
