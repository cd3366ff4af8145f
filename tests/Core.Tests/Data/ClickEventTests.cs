using System.Text;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class ClickEventTests
{
    private static readonly FeatureSchema Schema = new("clicked", [new DenseFeature("price")],
        [new SparseFeature("user_id", 100), new SparseFeature("tags", 100, Multi: true, MaxValues: 2)]);

    [Fact]
    public void IntegersAndStringsAreKeptAsGiven()
    {
        var e = new ClickEvent(Schema);
        e.AddInteger(0, -7);
        e.AddString(1, "caf\u00e9"u8);
        e.AddString(1, "x");

        Assert.Equal((SparseValueKind.Integer, -7L), (e.ValueOf(0, 0).Kind, e.ValueOf(0, 0).Integer));
        Assert.Equal("caf\u00e9", Encoding.UTF8.GetString(e.ValueOf(1, 0).Utf8));
        Assert.Equal("x", e.ValueOf(1, 1).ToString());
    }

    [Fact]
    public void ValuesBeyondMaxValuesAreDroppedAndCounted()
    {
        var e = new ClickEvent(Schema);

        Assert.True(e.AddString(1, "a"));
        Assert.True(e.AddString(1, "b"));
        Assert.False(e.AddString(1, "c"));
        Assert.False(e.AddInteger(1, 4));

        Assert.Equal(2, e.CountOf(1));
        Assert.Equal(2, e.DroppedValues);
    }

    [Fact]
    public void ASingleValuedFeatureTakesOneValue()
    {
        var e = new ClickEvent(Schema);

        Assert.True(e.AddInteger(0, 1));
        Assert.False(e.AddInteger(0, 2));
        Assert.Equal(1L, e.ValueOf(0, 0).Integer);
    }

    [Fact]
    public void ClearMakesEverythingMissing()
    {
        var e = new ClickEvent(Schema) { Label = true };
        e.Dense[0] = 3;
        e.AddInteger(0, 1);
        e.AddString(1, "a");
        e.AddString(1, "b");
        e.AddString(1, "c");

        e.Clear();

        Assert.False(e.Label);
        Assert.Null(e.Dense[0]);
        Assert.Equal((0, 0, 0), (e.CountOf(0), e.CountOf(1), e.DroppedValues));
    }

    [Fact]
    public void ACriteoRecordsCategoricalsBecomeIntegersWithTheSameBits()
    {
        var e = new ClickEvent(FeatureSchema.Criteo());
        var record = new CriteoRecord { Label = true };
        record.Dense[2] = 5;
        record.Categorical[0] = 0xffffffffffffffffUL;
        record.Categorical[25] = 0x68fd1e64UL;

        e.SetFrom(record);

        Assert.True(e.Label);
        Assert.Equal(5, e.Dense[2]);
        Assert.Null(e.Dense[0]);
        Assert.Equal(-1L, e.ValueOf(0, 0).Integer);
        Assert.Equal(0x68fd1e64L, e.ValueOf(25, 0).Integer);
        Assert.Equal(0, e.CountOf(1));
    }

    [Fact]
    public void RefillingAnEventAllocatesNothing()
    {
        var e = new ClickEvent(Schema);
        void Fill()
        {
            e.Clear();
            e.Dense[0] = 1.5;
            e.AddInteger(0, 12345);
            e.AddString(1, "sports"u8);
            e.AddString(1, "news"u8);
        }
        Fill();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Fill();

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
