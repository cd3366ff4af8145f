using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class ClickEventEncoderTests
{
    private static readonly FeatureSchema Criteo = FeatureSchema.Criteo();

    private static ClickEvent Event()
    {
        var e = new ClickEvent(Criteo) { Label = true };
        e.Dense[0] = 3;
        e.Dense[12] = -1.5;
        e.AddInteger(0, unchecked((long)0xffff_ffff_ffff_fff0UL));
        e.AddInteger(25, 0x68fd1e64);
        return e;
    }

    [Theory]
    [InlineData(KafkaEventFormat.CriteoTsv)]
    [InlineData(KafkaEventFormat.Json)]
    public void AnEventEncodedInEitherFormatReadsBackEqualWithThatFormatsParser(KafkaEventFormat format)
    {
        using var encoder = new ClickEventEncoder(format, Criteo);
        var read = new ClickEvent(Criteo);

        Assert.True(EventParsers.For(format, Criteo).TryParse(encoder.Encode(Event()), read, out var kind, out var reason), $"{kind}: {reason}");

        Assert.True(read.Label);
        Assert.Equal(Event().Dense, read.Dense);
        Assert.Equal([unchecked((long)0xffff_ffff_ffff_fff0UL), 0x68fd1e64L], new[] { read.ValueOf(0, 0).Integer, read.ValueOf(25, 0).Integer });
        Assert.Equal(2, Enumerable.Range(0, 26).Sum(read.CountOf));
    }

    [Fact]
    public void AStringValueHasNoCriteoTsvForm()
    {
        using var encoder = new ClickEventEncoder(KafkaEventFormat.CriteoTsv, Criteo);
        var e = new ClickEvent(Criteo);
        e.AddString(3, "de");

        Assert.Contains("'C4' holds a string", Assert.Throws<ArgumentException>(() => encoder.Encode(e)).Message);
    }

    [Fact]
    public void CriteoTsvNeedsCriteosLayout()
    {
        var schema = new FeatureSchema("clicked", [new DenseFeature("price")], [new SparseFeature("tags", 10, Multi: true)]);

        Assert.Throws<ArgumentException>(() => new ClickEventEncoder(KafkaEventFormat.CriteoTsv, schema));
    }
}
