using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class FeatureBatchTests
{
    private static readonly FeatureSchema Shop = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
        [new SparseFeature("tags", 50, Multi: true, MaxValues: 3), new SparseFeature("user_id", 100), new SparseFeature("topics", 40, Multi: true, MaxValues: 2, Pooling.Mean)]);

    private static readonly FeatureEncoder Encoder = new(Shop, FeatureStatistics.None);

    private static long Row(string feature, string value, int rows) => FeatureHashing.RowOf(FeatureHashing.Hash(feature, value), rows);

    private static ClickEvent Event(bool label, long? user, string[] tags, string[] topics)
    {
        var e = new ClickEvent(Shop) { Label = label };
        e.Dense[0] = Math.E - 1;
        if (user is { } id) e.AddInteger(1, id);
        foreach (var tag in tags) e.AddString(0, tag);
        foreach (var topic in topics) e.AddString(2, topic);
        return e;
    }

    [Fact]
    public void DenseAndSingleValuedRowsAreOneRowPerEvent()
    {
        var batch = new FeatureBatch(Shop, 4);
        batch.Add(Event(true, user: 7, ["a"], []), Encoder);
        batch.Add(Event(false, user: null, [], []), Encoder);

        Assert.Equal((2, 1, 2), (batch.DenseWidth, batch.SingleWidth, batch.MultiWidth));
        Assert.Equal([1f, 0f], batch.DenseOf(0).ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal([FeatureHashing.RowOf(FeatureHashing.Hash("user_id", 7L), 100)], batch.RowsOf(0).ToArray());
        Assert.Equal([0L], batch.RowsOf(1).ToArray());
        Assert.Equal([1f, 0f], batch.Labels.Take(2));
    }

    [Fact]
    public void MultiValuedFeaturesAreBagsEventByEventInTheEmbeddingBagLayout()
    {
        var batch = new FeatureBatch(Shop, 4);
        batch.Add(Event(true, 1, ["a", "b"], ["x"]), Encoder);
        batch.Add(Event(false, 2, ["c"], ["y", "z"]), Encoder);

        // Bags: event 0 tags, event 0 topics, event 1 tags, event 1 topics.
        Assert.Equal([0L, 2, 3, 4, 6], batch.BagOffsets.Take(5));
        Assert.Equal(6, batch.BagValueCount);
        Assert.Equal([Row("tags", "a", 50), Row("tags", "b", 50)], batch.BagOfEvent(0, 0).ToArray());
        Assert.Equal([Row("topics", "y", 40), Row("topics", "z", 40)], batch.BagOfEvent(1, 1).ToArray());
        Assert.Equal([0L, 0, 1, 2, 3, 3], batch.BagOf.Take(6));
    }

    [Fact]
    public void SumPoolingWeighsEachValue1AndMeanPoolingOneOverTheBagSize()
    {
        var batch = new FeatureBatch(Shop, 4);
        batch.Add(Event(true, 1, ["a", "b"], ["y", "z"]), Encoder);

        Assert.Equal([1f, 1f, 0.5f, 0.5f], batch.BagWeights.Take(4));
    }

    [Fact]
    public void AMissingListIsOneValueInRow0()
    {
        var batch = new FeatureBatch(Shop, 4);
        batch.Add(Event(true, 1, [], ["x"]), Encoder);

        Assert.Equal([0L], batch.BagOfEvent(0, 0).ToArray());
        Assert.Equal(1f, batch.BagWeights[0]);
    }

    [Fact]
    public void ValuesDroppedBeyondMaxValuesAreCountedPerBatch()
    {
        var batch = new FeatureBatch(Shop, 4);
        batch.Add(Event(true, 1, ["a", "b", "c", "d", "e"], ["x"]), Encoder);

        Assert.Equal(3, batch.BagOfEvent(0, 0).Length);
        Assert.Equal(2, batch.DroppedValues);
        batch.Clear();
        Assert.Equal((0, 0, 0L), (batch.Count, batch.BagValueCount, batch.DroppedValues));
    }

    [Fact]
    public void ACriteoLineBecomesLog1pDenseValuesAndTheDocumentedRowOfEachHexValue()
    {
        var line = "1\t5\t\t-3" + string.Concat(Enumerable.Repeat("\t", 10)) + "\t68fd1e64" + string.Concat(Enumerable.Repeat("\t", 24)) + "\tffffffffffffffff";
        var schema = FeatureSchema.Criteo(1000);
        using var source = new EventFileSource(schema, [new EventFile("day0.tsv", EventFileFormat.CriteoTsv, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\n")))]);
        var encoder = new FeatureEncoder(schema, FeatureStatistics.None);
        var batch = new FeatureBatch(schema, 2);

        Assert.Equal(1, batch.Refill(source, encoder, new ClickEvent(schema)));

        Assert.Equal([(float)Math.Log(6), 0f, 0f], batch.DenseOf(0)[..3].ToArray());
        var rows = batch.RowsOf(0);
        Assert.Equal(FeatureHashing.RowOf(FeatureHashing.Hash("C1", 0x68fd1e64L), 1000), rows[0]);
        Assert.Equal(FeatureHashing.RowOf(FeatureHashing.Hash("C26", -1L), 1000), rows[25]);
        Assert.All(rows[1..25].ToArray(), r => Assert.Equal(0, r));
        Assert.Equal(1f, batch.Labels[0]);
    }

    [Fact]
    public void AddingEventsAllocatesNothing()
    {
        var batch = new FeatureBatch(Shop, 64);
        var e = Event(true, 12345, ["a", "b", "c"], ["x", "y"]);
        void Fill()
        {
            batch.Clear();
            while (!batch.IsFull) batch.Add(e, Encoder);
        }
        Fill();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Fill();

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float value) => 0;
    }
}
