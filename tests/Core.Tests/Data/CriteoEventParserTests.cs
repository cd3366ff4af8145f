using Recurring.Core.Data;
using static Recurring.Core.Tests.Data.CriteoLines;

namespace Recurring.Core.Tests.Data;

public class CriteoEventParserTests
{
    [Fact]
    public void ALineFillsTheEventAsTheRecordItParsesTo()
    {
        var schema = FeatureSchema.Criteo();
        var record = new CriteoRecord();
        Assert.True(CriteoLineParser.TryParse(Utf8(Valid), record, out _, out _));
        var expected = new ClickEvent(schema);
        expected.SetFrom(record);
        var parsed = new ClickEvent(schema);

        Assert.True(new CriteoEventParser(schema).TryParse(Utf8(Valid), parsed, out _, out var reason));

        Assert.Null(reason);
        Assert.Equal(expected.Label, parsed.Label);
        Assert.Equal(expected.Dense, parsed.Dense);
        for (int j = 0; j < 26; j++)
        {
            Assert.Equal(expected.CountOf(j), parsed.CountOf(j));
            if (expected.CountOf(j) == 1) Assert.Equal(expected.ValueOf(j, 0).Integer, parsed.ValueOf(j, 0).Integer);
        }
    }

    [Fact]
    public void ARejectedLineGivesTheLineParsersKindAndReason()
    {
        var schema = FeatureSchema.Criteo();

        Assert.False(new CriteoEventParser(schema).TryParse(Utf8(WithField(1, "2")), new ClickEvent(schema), out var kind, out var reason));

        Assert.Equal(EventErrorKind.BadLabel, kind);
        Assert.Equal("field 1 (label): '2' is not 0 or 1", reason);
    }

    [Fact]
    public void ASchemaWithoutCriteosLayoutIsRefused()
    {
        var schema = new FeatureSchema("clicked", [new DenseFeature("price")], [new SparseFeature("tags", 10, Multi: true)]);

        Assert.Throws<ArgumentException>(() => new CriteoEventParser(schema));
    }
}
