using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;

namespace Recurring.Core.Tests.Data.Synthetic;

/// <summary>The default generator and 100,000 of its events, shared because calibration and generation take a moment.</summary>
public sealed class DefaultGeneratorSample
{
    public const int EventCount = 100_000;

    public DefaultGeneratorSample()
    {
        Generator = new SyntheticClickGenerator(new SyntheticDataOptions());
        var record = new CriteoRecord();
        for (int i = 0; i < EventCount; i++)
        {
            Probabilities[i] = (float)Generator.Generate(i, record);
            Labels[i] = record.Label ? 1 : 0;
        }
    }

    public SyntheticClickGenerator Generator { get; }
    public float[] Probabilities { get; } = new float[EventCount];
    public float[] Labels { get; } = new float[EventCount];
}

public class SyntheticClickGeneratorTests(DefaultGeneratorSample sample) : IClassFixture<DefaultGeneratorSample>
{
    /// <summary>Enough calibration for tests that do not measure the calibration itself.</summary>
    private static readonly SyntheticDataOptions QuickOptions = new() { CalibrationSampleSize = 2_000 };

    private static CriteoRecord[] Generate(SyntheticClickGenerator generator, IEnumerable<long> eventIndices, out double[] probabilities)
    {
        var records = new List<CriteoRecord>();
        var probabilityList = new List<double>();
        foreach (long eventIndex in eventIndices)
        {
            var record = new CriteoRecord();
            probabilityList.Add(generator.Generate(eventIndex, record));
            records.Add(record);
        }
        probabilities = probabilityList.ToArray();
        return records.ToArray();
    }

    private static IEnumerable<long> Events(long first, int count) => Enumerable.Range(0, count).Select(offset => first + offset);

    private static void AssertSameRecord(CriteoRecord expected, CriteoRecord actual)
    {
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Dense, actual.Dense);
        Assert.Equal(expected.Categorical, actual.Categorical);
    }

    private static int LargestTable(SyntheticDataOptions options) =>
        options.CategoricalCardinalities.Index().MaxBy(entry => entry.Item).Index;

    /// <summary>The IDs of a table ordered from most to least frequent among the given events.</summary>
    private static ulong[] IdsByFrequency(SyntheticClickGenerator generator, int table, long firstEvent, int eventCount)
    {
        var record = new CriteoRecord();
        var counts = new Dictionary<ulong, int>();
        foreach (long eventIndex in Events(firstEvent, eventCount))
        {
            generator.Generate(eventIndex, record);
            if (record.Categorical[table] is ulong id)
                counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return counts.OrderByDescending(entry => entry.Value).Select(entry => entry.Key).ToArray();
    }

    [Fact]
    public void TheDefaultOptionsAreValid()
    {
        Assert.Empty(new SyntheticDataOptions().Validate());
    }

    [Fact]
    public void InvalidOptionsAreRejectedNamingTheSetting()
    {
        var options = new SyntheticDataOptions { TargetBayesAuc = 0.4, CategoricalCardinalities = [10, 20] };

        var error = Assert.Throws<ArgumentException>(() => new SyntheticClickGenerator(options));

        Assert.Contains(nameof(SyntheticDataOptions.TargetBayesAuc), error.Message);
        Assert.Contains(nameof(SyntheticDataOptions.CategoricalCardinalities), error.Message);
    }

    [Fact]
    public void TheSameSeedGivesTheSameEvents()
    {
        var first = Generate(new SyntheticClickGenerator(QuickOptions), Events(0, 1_000), out double[] firstProbabilities);
        var second = Generate(new SyntheticClickGenerator(QuickOptions), Events(0, 1_000), out double[] secondProbabilities);

        Assert.Equal(firstProbabilities, secondProbabilities);
        Assert.All(first.Zip(second), pair => AssertSameRecord(pair.First, pair.Second));
    }

    [Fact]
    public void DifferentSeedsGiveDifferentEvents()
    {
        var first = Generate(new SyntheticClickGenerator(QuickOptions), Events(0, 100), out double[] firstProbabilities);
        var second = Generate(new SyntheticClickGenerator(QuickOptions with { Seed = 2 }), Events(0, 100), out double[] secondProbabilities);

        Assert.NotEqual(firstProbabilities, secondProbabilities);
        Assert.NotEqual(first.Select(record => record.Categorical[0]), second.Select(record => record.Categorical[0]));
    }

    [Fact]
    public void EventsDoNotDependOnTheOrderTheyAreGeneratedIn()
    {
        var generator = new SyntheticClickGenerator(QuickOptions);

        var forwards = Generate(generator, Events(0, 1_000), out double[] forwardProbabilities);
        var backwards = Generate(generator, Events(0, 1_000).Reverse(), out double[] backwardProbabilities);

        Assert.Equal(forwardProbabilities, backwardProbabilities.Reverse());
        Assert.All(forwards.Zip(backwards.Reverse()), pair => AssertSameRecord(pair.First, pair.Second));
    }

    [Fact]
    public void GenerateReturnsTheTeacherProbabilityOfTheFeaturesItProduced()
    {
        var record = new CriteoRecord();

        double probability = sample.Generator.Generate(4_242, record);

        Assert.Equal(sample.Generator.ClickProbability(record, 4_242), probability);
    }

    [Fact]
    public void GeneratingAllocatesNothing()
    {
        var record = new CriteoRecord();
        sample.Generator.Generate(0, record);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
            sample.Generator.Generate(i, record);

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void TheClickRateMatchesTheTarget()
    {
        Assert.InRange(BinaryMetrics.ClickRate(sample.Labels), 0.25 - 0.01, 0.25 + 0.01);
    }

    [Fact]
    public void TheAucOfTheTrueProbabilitiesMatchesTheTargetBayesAuc()
    {
        Assert.InRange(BinaryMetrics.Auc(sample.Probabilities, sample.Labels), 0.80 - 0.015, 0.80 + 0.015);
    }

    /// <summary>The true click probabilities and the drawn labels of the first <paramref name="events"/> events.</summary>
    private static (float[] Probabilities, float[] Labels) ProbabilitiesAndLabels(SyntheticClickGenerator generator, int events)
    {
        var probabilities = new float[events];
        var labels = new float[events];
        var record = new CriteoRecord();
        for (int i = 0; i < events; i++)
        {
            probabilities[i] = (float)generator.Generate(i, record);
            labels[i] = record.Label ? 1 : 0;
        }
        return (probabilities, labels);
    }

    [Fact]
    public void CalibrationFollowsOtherTargets()
    {
        var generator = new SyntheticClickGenerator(new SyntheticDataOptions { TargetBayesAuc = 0.7, TargetClickRate = 0.05, CalibrationSampleSize = 20_000 });
        var (probabilities, labels) = ProbabilitiesAndLabels(generator, 50_000);

        Assert.InRange(BinaryMetrics.ClickRate(labels), 0.05 - 0.005, 0.05 + 0.005);
        Assert.InRange(BinaryMetrics.Auc(probabilities, labels), 0.7 - 0.015, 0.7 + 0.015);
    }

    [Fact]
    public void TheCapacityHungryTermKeepsTheTargetBayesAucAndClickRate()
    {
        var generator = new SyntheticClickGenerator(new SyntheticDataOptions { NonlinearStrength = 3, CalibrationSampleSize = 20_000 });
        var (probabilities, labels) = ProbabilitiesAndLabels(generator, 50_000);

        Assert.InRange(BinaryMetrics.ClickRate(labels), 0.25 - 0.01, 0.25 + 0.01);
        Assert.InRange(BinaryMetrics.Auc(probabilities, labels), 0.80 - 0.015, 0.80 + 0.015);
    }

    [Fact]
    public void TheCapacityHungryTermCouplesTheDenseFeaturesWithExactlyOneSmallTable()
    {
        var options = QuickOptions with { FirstOrderStrength = 0, CrossStrength = 0, DenseStrength = 0, DenseCategoricalCrossStrength = 0, NonlinearStrength = 1 };
        var generator = new SyntheticClickGenerator(options);
        var record = Generate(generator, Events(0, 200), out _).First(r => r.Categorical.All(id => id is not null) && r.Dense.All(x => x is not null));
        double before = generator.ClickProbability(record, 0);

        var coupled = Enumerable.Range(0, CriteoRecord.CategoricalCount).Where(table =>
        {
            var changed = record.Clone();
            changed.Categorical[table] = null;
            return Math.Abs(generator.ClickProbability(changed, 0) - before) > 1e-9;
        }).ToArray();
        var denseChanged = record.Clone();
        denseChanged.Dense[0] = record.Dense[0] + 50;

        int table = Assert.Single(coupled);
        Assert.InRange(options.CategoricalCardinalities[table], 3, 1_000);
        Assert.NotEqual(before, generator.ClickProbability(denseChanged, 0));
    }

    [Fact]
    public void MissingFeaturesFollowTheConfiguredRates()
    {
        const int eventCount = 20_000;
        var generator = new SyntheticClickGenerator(QuickOptions with
        {
            DenseMissingRates = Enumerable.Repeat(0.2, CriteoRecord.DenseCount).ToArray(),
            CategoricalMissingRates = Enumerable.Repeat(0.1, CriteoRecord.CategoricalCount).ToArray(),
        });

        var records = Generate(generator, Events(0, eventCount), out _);

        double denseMissing = records.Average(record => record.Dense.Count(value => value is null) / (double)CriteoRecord.DenseCount);
        double categoricalMissing = records.Average(record => record.Categorical.Count(value => value is null) / (double)CriteoRecord.CategoricalCount);
        Assert.InRange(denseMissing, 0.2 - 0.01, 0.2 + 0.01);
        Assert.InRange(categoricalMissing, 0.1 - 0.01, 0.1 + 0.01);
    }

    [Fact]
    public void DenseFeaturesAreIntegerCountsOrMinusOne()
    {
        var records = Generate(sample.Generator, Events(0, 5_000), out _);

        var values = records.SelectMany(record => record.Dense).OfType<double>().ToArray();
        Assert.All(values, value => Assert.True(value >= -1 && value == Math.Floor(value), $"{value} is not a count"));
        Assert.Contains(-1.0, values);
    }

    [Fact]
    public void TheTopIdOfALargeTableIsZipfTimesMoreFrequentThanTheHundredth()
    {
        var options = sample.Generator.Options;
        int table = LargestTable(options);
        var record = new CriteoRecord();
        var counts = new Dictionary<ulong, int>();
        for (int i = 0; i < DefaultGeneratorSample.EventCount; i++)
        {
            sample.Generator.Generate(i, record);
            if (record.Categorical[table] is ulong id)
                counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        int[] frequencies = counts.Values.OrderDescending().ToArray();

        // P(rank 1) / P(rank 100) = 100^s; allow a factor of two for sampling noise.
        double expectedRatio = Math.Pow(100, options.ZipfExponent);
        Assert.InRange(frequencies[0] / (double)frequencies[99], expectedRatio / 2, expectedRatio * 2);
    }

    [Fact]
    public void RotationChangesWhatTheSameFeaturesAreWorth()
    {
        var generator = new SyntheticClickGenerator(QuickOptions with { RotationPerMillionEvents = 0.3 });
        var records = Generate(generator, Events(0, 1_000), out double[] probabilities);

        int changed = records.Where((record, i) => Math.Abs(generator.ClickProbability(record, 10_000_000) - probabilities[i]) > 1e-3).Count();

        Assert.True(changed > records.Length * 9 / 10, $"only {changed} of {records.Length} probabilities changed");
    }

    [Fact]
    public void WithoutDriftTheSameFeaturesKeepTheirProbability()
    {
        var generator = new SyntheticClickGenerator(QuickOptions);
        var records = Generate(generator, Events(0, 1_000), out double[] probabilities);

        Assert.Equal(probabilities, records.Select(record => generator.ClickProbability(record, 10_000_000)));
    }

    [Fact]
    public void ANewEffectChangesNothingBeforeItsEventAndWhatTheSameFeaturesAreWorthFromIt()
    {
        var plain = new SyntheticClickGenerator(QuickOptions);
        var drifting = new SyntheticClickGenerator(QuickOptions with { NewEffectStrength = 1, NewEffectFromEvent = 5_000 });
        var records = Generate(plain, Events(0, 1_000), out _);

        // Same calibration (it draws events before the effect), so the same teacher until the effect appears.
        Assert.Equal(records.Select(record => plain.ClickProbability(record, 4_999)), records.Select(record => drifting.ClickProbability(record, 4_999)));
        int changed = records.Count(record => Math.Abs(drifting.ClickProbability(record, 5_000) - plain.ClickProbability(record, 5_000)) > 1e-3);
        Assert.True(changed > records.Length * 9 / 10, $"only {changed} of {records.Length} probabilities changed");
    }

    [Fact]
    public void NewIdsTakeOverTheHeadOfLargeTables()
    {
        var generator = new SyntheticClickGenerator(QuickOptions with { NewIdsPerMillionEvents = 100 });
        int table = LargestTable(generator.Options);

        var early = IdsByFrequency(generator, table, 0, 20_000).Take(10);
        var late = IdsByFrequency(generator, table, 10_000_000, 20_000).Take(10);

        Assert.Empty(early.Intersect(late));
    }

    [Fact]
    public void WithoutNewIdsTheHeadKeepsItsIds()
    {
        var generator = new SyntheticClickGenerator(QuickOptions);
        int table = LargestTable(generator.Options);

        var early = IdsByFrequency(generator, table, 0, 20_000).Take(3);
        var late = IdsByFrequency(generator, table, 10_000_000, 20_000).Take(3);

        Assert.Equal(early, late);
    }
}
