using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;

namespace Recurring.Core.Tests.Data.Synthetic;

/// <summary>The shop schema's generator with default targets and 40,000 of its events, shared because calibration and generation take a moment.</summary>
public sealed class ShopGeneratorSample
{
    public const int EventCount = 40_000;

    public ShopGeneratorSample()
    {
        Generator = new SyntheticClickGenerator(new SyntheticDataOptions { CalibrationSampleSize = 20_000 }, SchemaEvents.Shop);
        var e = new ClickEvent(SchemaEvents.Shop);
        for (int i = 0; i < EventCount; i++)
        {
            Probabilities[i] = (float)Generator.Generate(i, e);
            Labels[i] = e.Label ? 1 : 0;
            for (int d = 0; d < e.Dense.Length; d++)
                if (e.Dense[d] is null) DenseMissing[d]++;
            for (int j = 0; j < SparseMissing.Length; j++)
            {
                if (e.CountOf(j) == 0) SparseMissing[j]++;
                for (int v = 0; v < e.CountOf(j); v++) Kinds[j].Add(e.ValueOf(j, v).Kind);
            }
            ListLengths.Add(e.CountOf(SchemaEvents.Tags));
            for (int d = 0; d < e.Dense.Length; d++)
                if (e.Dense[d] is double value) DenseValues[d].Add(value);
        }
    }

    public SyntheticClickGenerator Generator { get; }
    public float[] Probabilities { get; } = new float[EventCount];
    public float[] Labels { get; } = new float[EventCount];
    public int[] DenseMissing { get; } = new int[SchemaEvents.Shop.Dense.Count];
    public int[] SparseMissing { get; } = new int[SchemaEvents.Shop.Sparse.Count];
    public HashSet<SparseValueKind>[] Kinds { get; } = SchemaEvents.Shop.Sparse.Select(_ => new HashSet<SparseValueKind>()).ToArray();
    public List<int> ListLengths { get; } = [];
    public List<double>[] DenseValues { get; } = SchemaEvents.Shop.Dense.Select(_ => new List<double>()).ToArray();
}

public class SchemaSyntheticGeneratorTests(ShopGeneratorSample sample) : IClassFixture<ShopGeneratorSample>
{
    private static readonly SyntheticDataOptions QuickOptions = new() { CalibrationSampleSize = 2_000 };

    private static string[] Describe(SyntheticClickGenerator generator, IEnumerable<long> eventIndices, out double[] probabilities)
    {
        var e = new ClickEvent(generator.Schema);
        var described = new List<string>();
        var probabilityList = new List<double>();
        foreach (long eventIndex in eventIndices)
        {
            probabilityList.Add(generator.Generate(eventIndex, e));
            described.Add(SchemaEvents.Describe(e));
        }
        probabilities = probabilityList.ToArray();
        return described.ToArray();
    }

    private static IEnumerable<long> Events(int count) => Enumerable.Range(0, count).Select(i => (long)i);

    [Fact]
    public void TheSameSeedGivesTheSameEventsUnderAnySchema()
    {
        var first = Describe(new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop), Events(1_000), out double[] firstProbabilities);
        var second = Describe(new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop), Events(1_000), out double[] secondProbabilities);

        Assert.Equal(first, second);
        Assert.Equal(firstProbabilities, secondProbabilities);
    }

    [Fact]
    public void AnEventDependsOnlyOnTheSeedAndItsIndex()
    {
        var generator = new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop);

        var forwards = Describe(generator, Events(1_000), out double[] forwardProbabilities);
        var backwards = Describe(generator, Events(1_000).Reverse(), out double[] backwardProbabilities);

        Assert.Equal(forwards, backwards.Reverse());
        Assert.Equal(forwardProbabilities, backwardProbabilities.Reverse());
    }

    [Fact]
    public void DifferentSeedsGiveDifferentEventsUnderAnySchema()
    {
        var first = Describe(new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop), Events(100), out _);
        var second = Describe(new SyntheticClickGenerator(QuickOptions with { Seed = 2 }, SchemaEvents.Shop), Events(100), out _);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void IdFeaturesHoldIntegersAndTheOthersStrings()
    {
        string[] integerFeatures = ["user_id", "item_id"];

        for (int j = 0; j < SchemaEvents.Shop.Sparse.Count; j++)
        {
            var expected = integerFeatures.Contains(SchemaEvents.Shop.Sparse[j].Name) ? SparseValueKind.Integer : SparseValueKind.String;
            Assert.Equal([expected], sample.Kinds[j]);
            Assert.Equal(expected, sample.Generator.SparseDraws[j].Kind);
        }
    }

    [Fact]
    public void AStringValueIsAnIdsEightLowercaseHexDigits()
    {
        var e = new ClickEvent(SchemaEvents.Shop);
        sample.Generator.Generate(7, e);
        int tags = SchemaEvents.Tags;

        Assert.All(Enumerable.Range(0, e.CountOf(tags)).Select(i => e.ValueOf(tags, i).ToString()).ToArray(),
            value => Assert.Matches("^[0-9a-f]{8}$", value));
    }

    [Fact]
    public void APresentListHoldsOneToMaxValuesValuesUniformly()
    {
        int maxValues = SchemaEvents.Shop.Sparse[SchemaEvents.Tags].MaxValues;
        var present = sample.ListLengths.Where(length => length > 0).ToArray();

        Assert.All(sample.ListLengths, length => Assert.InRange(length, 0, maxValues));
        Assert.Equal(Enumerable.Range(1, maxValues), present.Distinct().Order());
        Assert.InRange(present.Average(), (maxValues + 1) / 2.0 - 0.05, (maxValues + 1) / 2.0 + 0.05);
    }

    [Fact]
    public void FeaturesAreMissingAtTheirDrawnRates()
    {
        var rates = sample.Generator.DenseDraws.Select(d => d.MissingRate).Concat(sample.Generator.SparseDraws.Select(s => s.MissingRate)).ToArray();
        var measured = sample.DenseMissing.Concat(sample.SparseMissing).Select(missing => missing / (double)ShopGeneratorSample.EventCount).ToArray();

        Assert.All(rates, rate => Assert.InRange(rate, 0, SyntheticFeaturePlan.MaxMissingRate));
        Assert.All(rates.Zip(measured), pair => Assert.InRange(pair.Second, pair.First - 0.01, pair.First + 0.01));
        // The schema's features are sometimes absent, as real ones are: most of them noticeably.
        Assert.True(rates.Count(rate => rate > 0.02) >= rates.Length / 2, string.Join(", ", rates));
    }

    [Fact]
    public void TheTransformChoosesTheDenseShape()
    {
        Assert.Equal([SyntheticDenseShape.Count, SyntheticDenseShape.Share, SyntheticDenseShape.Gaussian, SyntheticDenseShape.Count],
            sample.Generator.DenseDraws.Select(d => d.Shape));
        Assert.All(sample.DenseValues[0], price => Assert.True(price >= 0 && price == Math.Floor(price), $"{price} is not a count"));
        Assert.All(sample.DenseValues[1], discount => Assert.InRange(discount, double.Epsilon, 1));
        // A measurement takes many distinct real values, not counts.
        Assert.True(sample.DenseValues[2].Distinct().Count() > sample.DenseValues[2].Count * 9 / 10);
    }

    [Fact]
    public void CalibrationHitsTheTargetBayesAucAndClickRateUnderAnySchema()
    {
        Assert.InRange(BinaryMetrics.ClickRate(sample.Labels), 0.25 - 0.01, 0.25 + 0.01);
        Assert.InRange(BinaryMetrics.Auc(sample.Probabilities, sample.Labels), 0.80 - 0.015, 0.80 + 0.015);
    }

    [Fact]
    public void GenerateReturnsTheTeacherProbabilityOfTheEventItFilled()
    {
        var e = new ClickEvent(SchemaEvents.Shop);

        double probability = sample.Generator.Generate(4_242, e);

        Assert.Equal(sample.Generator.ClickProbability(e, 4_242), probability);
    }

    [Fact]
    public void MeanPoolingMakesTheTeacherIgnoreRepeatingTheWholeList()
    {
        int tags = SchemaEvents.Tags;
        var e = new ClickEvent(SchemaEvents.Shop);
        long index = Enumerable.Range(0, 1_000).First(i =>
        {
            sample.Generator.Generate(i, e);
            return e.CountOf(tags) is > 1 and <= 4;
        });
        double probability = sample.Generator.ClickProbability(e, index);
        var values = Enumerable.Range(0, e.CountOf(tags)).Select(i => e.ValueOf(tags, i).ToString()).ToArray();

        foreach (string value in values) e.AddString(tags, value);
        double repeated = sample.Generator.ClickProbability(e, index);
        e.ClearSparse(tags);
        double withoutTags = sample.Generator.ClickProbability(e, index);

        Assert.Equal(probability, repeated, precision: 12);
        Assert.NotEqual(probability, withoutTags, precision: 6);
    }

    [Fact]
    public void AStringTheGeneratorNeverWritesWeighsLikeAMissingValue()
    {
        int category = SchemaEvents.Shop.IndexOfSparse("category");
        var e = new ClickEvent(SchemaEvents.Shop);
        long index = Enumerable.Range(0, 100).First(i =>
        {
            sample.Generator.Generate(i, e);
            return e.CountOf(category) == 1;
        });

        e.ClearSparse(category);
        double missing = sample.Generator.ClickProbability(e, index);
        e.AddString(category, "not-an-id");

        Assert.Equal(missing, sample.Generator.ClickProbability(e, index));
    }

    [Fact]
    public void AppendingAFeatureKeepsWhatIsDrawnForTheOthers()
    {
        var grown = new FeatureSchema(SchemaEvents.Shop.Label, [.. SchemaEvents.Shop.Dense, new DenseFeature("rating")],
            [.. SchemaEvents.Shop.Sparse, new SparseFeature("brand_id", 300)]);

        var before = new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop);
        var after = new SyntheticClickGenerator(QuickOptions, grown);

        Assert.Equal(before.DenseDraws, after.DenseDraws.Take(before.DenseDraws.Count));
        Assert.Equal(before.SparseDraws, after.SparseDraws.Take(before.SparseDraws.Count));
    }

    [Fact]
    public void AVocabularyIsSizedFromItsTableRows()
    {
        Assert.All(SchemaEvents.Shop.Sparse.Zip(sample.Generator.SparseDraws),
            pair => Assert.InRange(pair.Second.Cardinality, Math.Max(2, pair.First.Rows / 64), pair.First.Rows));
    }

    [Fact]
    public void GeneratingIntoAnEventAllocatesNothingOnceWarm()
    {
        var e = new ClickEvent(SchemaEvents.Shop);
        for (int i = 0; i < 100; i++) sample.Generator.Generate(i, e);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
            sample.Generator.Generate(i, e);

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void AnEventOfAnotherLayoutIsRefused()
    {
        var generator = new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop);

        Assert.Throws<ArgumentException>(() => generator.Generate(0, new ClickEvent(FeatureSchema.Criteo())));
    }

    [Fact]
    public void OnlyCriteosLayoutFillsACriteoRecord()
    {
        var generator = new SyntheticClickGenerator(QuickOptions, SchemaEvents.Shop);

        Assert.Throws<InvalidOperationException>(() => generator.Generate(0, new CriteoRecord()));
    }

    [Fact]
    public void AnInvalidSchemaIsRefusedNamingTheProblem()
    {
        var schema = new FeatureSchema("clicked", [new DenseFeature("price")], [new SparseFeature("tags", 1)]);

        var error = Assert.Throws<ArgumentException>(() => new SyntheticClickGenerator(QuickOptions, schema));

        Assert.Contains("Sparse[0].Rows", error.Message);
    }
}
