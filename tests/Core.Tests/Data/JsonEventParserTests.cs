using System.Globalization;
using System.Text;
using System.Text.Json;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class JsonEventParserTests
{
    private static readonly FeatureSchema Schema = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
        [new SparseFeature("user_id", 1000), new SparseFeature("country", 100), new SparseFeature("tags", 1000, Multi: true, MaxValues: 3)]);

    private const int UserId = 0;
    private const int Country = 1;
    private const int Tags = 2;

    [Fact]
    public void AFlatObjectFillsEveryFeatureByName()
    {
        var e = Parse("""{"clicked": 1, "price": 12.5, "hour": 3, "user_id": -42, "country": "de", "tags": ["a", 7]}""");

        Assert.Equal("label=1 price=12.5 hour=3 user_id=[i:-42] country=[s:de] tags=[s:a,i:7] dropped=0", Describe(e));
    }

    [Fact]
    public void NullAndAbsentKeysAreMissing()
    {
        var e = Parse("""{"clicked": 0, "price": null, "user_id": null, "tags": null}""");

        Assert.Equal("label=0 price=- hour=- user_id=[] country=[] tags=[] dropped=0", Describe(e));
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("1", "1")]
    [InlineData("true", "1")]
    [InlineData("false", "0")]
    [InlineData("\"0\"", "0")]
    [InlineData("\"1\"", "1")]
    [InlineData("1.0", "1")]
    [InlineData("0e5", "0")]
    [InlineData("\"\\u0031\"", "1")]
    public void TheLabelIsZeroOrOneInAnyOfItsSpellings(string label, string expected)
    {
        var e = Parse($$"""{"clicked": {{label}}}""");

        Assert.Equal(expected, e.Label ? "1" : "0");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("0.5")]
    [InlineData("\"yes\"")]
    [InlineData("\"1.0\"")]
    [InlineData("\"\"")]
    [InlineData("[1]")]
    [InlineData("{}")]
    public void ALabelOtherThanZeroOrOneIsBad(string label)
    {
        AssertRejected($$"""{"clicked": {{label}}}""", EventErrorKind.BadLabel, "label 'clicked': ");
    }

    [Theory]
    [InlineData("""{"price": 1}""")]
    [InlineData("""{"clicked": null, "price": 1}""")]
    [InlineData("""{"clicked": 1, "clicked": null}""")]
    public void AnEventWithoutALabelIsRejected(string json)
    {
        AssertRejected(json, EventErrorKind.MissingLabel, "label 'clicked' is missing");
    }

    [Theory]
    [InlineData("\"12.5\"", 12.5)]
    [InlineData("\"-3\"", -3.0)]
    [InlineData("\"+4\"", 4.0)]
    [InlineData("\".5\"", 0.5)]
    [InlineData("\"5.\"", 5.0)]
    [InlineData("\"1e3\"", 1000.0)]
    [InlineData("1E-2", 0.01)]
    [InlineData("-0", 0.0)]
    [InlineData("1e308", 1e308)]
    public void ADenseValueIsANumberOrAStringHoldingOne(string value, double expected)
    {
        var e = Parse($$"""{"clicked": 0, "hour": {{value}}}""");

        Assert.Equal(expected, e.Dense[1]);
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("\"\"")]
    [InlineData("\" 1\"")]
    [InlineData("\"1,5\"")]
    [InlineData("\"0x10\"")]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("\"1e\"")]
    [InlineData("\".\"")]
    public void ADenseStringThatIsNotAPlainNumberIsRejected(string value)
    {
        AssertRejected($$"""{"clicked": 0, "hour": {{value}}}""", EventErrorKind.NonNumericDense, "dense feature 'hour': ");
    }

    [Theory]
    [InlineData("1e999")]
    [InlineData("-1e999")]
    [InlineData("\"1e999\"")]
    public void ADenseValueBeyondADoubleIsNotFinite(string value)
    {
        AssertRejected($$"""{"clicked": 0, "price": {{value}}}""", EventErrorKind.NonFiniteDense, "dense feature 'price': ");
    }

    [Theory]
    [InlineData("true")]
    [InlineData("[1]")]
    [InlineData("{\"a\": 1}")]
    public void ADenseValueOfAnotherTypeIsAWrongType(string value)
    {
        AssertRejected($$"""{"clicked": 0, "price": {{value}}}""", EventErrorKind.WrongType, "dense feature 'price': ");
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("1.0")]
    [InlineData("false")]
    [InlineData("{}")]
    [InlineData("[[1]]")]
    public void ASparseValueIsAnIntegerOrAString(string value)
    {
        AssertRejected($$"""{"clicked": 0, "user_id": {{value}}}""", EventErrorKind.WrongType, "sparse feature 'user_id': ");
    }

    [Theory]
    [InlineData("18446744073709551615", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void SparseIntegersSpanSignedAndUnsigned64Bits(string value, long bits)
    {
        var e = Parse($$"""{"clicked": 0, "user_id": {{value}}}""");

        Assert.Equal(bits, e.ValueOf(UserId, 0).Integer);
    }

    [Theory]
    [InlineData("18446744073709551616")]
    [InlineData("-9223372036854775809")]
    [InlineData("100000000000000000000000000000")]
    public void ASparseIntegerBeyond64BitsIsOutOfRange(string value)
    {
        AssertRejected($$"""{"clicked": 0, "user_id": {{value}}}""", EventErrorKind.IntegerOutOfRange, $"sparse feature 'user_id': {value} does not fit in 64 bits");
    }

    [Fact]
    public void AnArrayOfOneIsASingleValuedFeaturesValue()
    {
        var e = Parse("""{"clicked": 0, "user_id": [5, null], "country": []}""");

        Assert.Equal("label=0 price=- hour=- user_id=[i:5] country=[] tags=[] dropped=0", Describe(e));
    }

    [Fact]
    public void AnArrayOfSeveralValuesOnASingleValuedFeatureIsRejected()
    {
        AssertRejected("""{"clicked": 0, "country": ["de", true, {"x": 1}]}""", EventErrorKind.TooManyValues, "sparse feature 'country' is single-valued but has 3 values");
    }

    [Fact]
    public void AScalarIsAMultiValuedFeaturesListOfOne()
    {
        var e = Parse("""{"clicked": 0, "tags": "solo"}""");

        Assert.Equal("tags=[s:solo]", Describe(e).Split(' ')[5]);
    }

    [Fact]
    public void ValuesBeyondMaxValuesAreDroppedUncheckedAndCounted()
    {
        var e = Parse("""{"clicked": 0, "tags": ["a", null, "b", "c", "d", true, [1]]}""");

        Assert.Equal("tags=[s:a,s:b,s:c] dropped=3", string.Join(' ', Describe(e).Split(' ')[5..]));
    }

    [Fact]
    public void DuplicatesWithinABagAreKept()
    {
        var e = Parse("""{"clicked": 0, "tags": ["a", "a", 1]}""");

        Assert.Equal("tags=[s:a,s:a,i:1]", Describe(e).Split(' ')[5]);
    }

    [Fact]
    public void ARepeatedKeyTakesItsLastValueAndForgetsWhatTheEarlierOneDropped()
    {
        var e = Parse("""{"clicked": 1, "tags": ["a", "b", "c", "d", "e"], "price": 1, "tags": ["z"], "price": 2, "clicked": 0}""");

        Assert.Equal("label=0 price=2 hour=- user_id=[] country=[] tags=[s:z] dropped=0", Describe(e));
    }

    [Fact]
    public void UnknownKeysAreSkippedWhateverTheyHold()
    {
        var e = Parse("""{"session": {"nested": [1, {"deep": [true, null, "x"]}]}, "clicked": 1, "other": [[]], "n": 1e999, "user_id": 3}""");

        Assert.Equal("label=1 price=- hour=- user_id=[i:3] country=[] tags=[] dropped=0", Describe(e));
    }

    [Fact]
    public void EscapedStringsHashAsTheirUnescapedUtf8()
    {
        var escaped = Parse("""{"clicked": 0, "country": "caf\u00e9", "tags": ["a\"b"]}""");
        var plain = Parse("{\"clicked\": 0, \"country\": \"caf\u00e9\", \"tags\": [\"a\\\"b\"]}");

        Assert.Equal("caf\u00e9", Encoding.UTF8.GetString(escaped.ValueOf(Country, 0).Utf8));
        Assert.Equal(FeatureHashing.Hash("country", "caf\u00e9"), FeatureHashing.Hash("country", escaped.ValueOf(Country, 0).Utf8));
        Assert.Equal(Describe(plain), Describe(escaped));
    }

    [Fact]
    public void EscapedKeysNameTheirFeature()
    {
        var e = Parse("""{"clicked": 0, "\u0068our": 7}""");

        Assert.Equal(7.0, e.Dense[1]);
    }

    [Fact]
    public void AKeyWithALoneSurrogateEscapeIsAnUnknownKey()
    {
        var e = Parse("""{"clicked": 1, "\ud800x": {"a": 1}, "hour": 2}""");

        Assert.Equal(2.0, e.Dense[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{\"clicked\": 1")]
    [InlineData("{\"clicked\": 1,}")]
    [InlineData("{\"clicked\": 1} {}")]
    [InlineData("{\"clicked\": 1} x")]
    [InlineData("{'clicked': 1}")]
    [InlineData("{\"clicked\": NaN}")]
    [InlineData("{\"clicked\": 1, \"country\": \"\\ud800\"}")]
    [InlineData("{\"clicked\": 1, \"country\": \"\\x\"}")]
    [InlineData("[1, 2]")]
    [InlineData("1")]
    [InlineData("\"clicked\"")]
    [InlineData("null")]
    public void AnythingButOneJsonObjectIsMalformed(string json)
    {
        AssertRejected(json, EventErrorKind.MalformedJson, "the event ");
    }

    [Fact]
    public void InvalidUtf8IsMalformedEvenInAnUnknownKey()
    {
        byte[] json = [.. "{\"clicked\": 1, \"x\": \""u8, 0xff, .. "\"}"u8];

        AssertRejected(json, EventErrorKind.MalformedJson, "the event is not valid UTF-8");
    }

    [Fact]
    public void NestingDeeperThanTheReadersLimitIsMalformed()
    {
        string json = """{"clicked": 1, "deep": """ + new string('[', 200) + new string(']', 200) + "}";

        AssertRejected(json, EventErrorKind.MalformedJson, "the event is not well-formed JSON");
    }

    [Fact]
    public void ATrailingLineEndIsWhitespace()
    {
        Assert.True(Parse("{\"clicked\": 1}\r\n").Label);
    }

    [Fact]
    public void AParserIsReusedAcrossEventsWithoutCarryingValuesOver()
    {
        var parser = new JsonEventParser(Schema);
        var e = new ClickEvent(Schema);
        Assert.True(parser.TryParse("""{"clicked": 1, "price": 4, "tags": ["a", "b", "c", "d"]}"""u8, e, out _, out _));

        Assert.True(parser.TryParse("""{"clicked": 0, "tags": ["x"]}"""u8, e, out _, out _));

        Assert.Equal("label=0 price=- hour=- user_id=[] country=[] tags=[s:x] dropped=0", Describe(e));
    }

    [Fact]
    public void WrittenEventsReadBackEqual()
    {
        var schema = new FeatureSchema("clicked", [new DenseFeature("a"), new DenseFeature("b")],
            [new SparseFeature("id", 100), new SparseFeature("tags", 100, Multi: true, MaxValues: 4), new SparseFeature("more", 100, Multi: true)]);
        var events = new RandomEvents(schema, seed: 13);
        var parser = new JsonEventParser(schema);
        var read = new ClickEvent(schema);
        for (int n = 0; n < 200; n++)
        {
            var written = events.Next();
            written.AddString(2, "\u00e9\"\\\n\u2028");
            written.AddInteger(2, unchecked((long)ulong.MaxValue));
            written.Dense[0] = n % 7 == 0 ? null : written.Dense[0] * 1e-300 * n;

            Assert.True(parser.TryParse(Write(written), read, out var kind, out var reason), $"{kind}: {reason}");

            Assert.Equal(Describe(written, withDropped: false), Describe(read, withDropped: false));
        }
    }

    [Fact]
    public void TheWriterLeavesMissingValuesAndEmptyListsOut()
    {
        var e = new ClickEvent(Schema) { Label = true };
        e.Dense[1] = 0.1;
        e.AddInteger(UserId, 9);
        e.AddString(Tags, "t");

        Assert.Equal("""{"clicked":1,"hour":0.1,"user_id":9,"tags":["t"]}""", Encoding.UTF8.GetString(Write(e)));
    }

    [Fact]
    public void TheWriterRefusesANonFiniteDenseValue()
    {
        var e = new ClickEvent(Schema);
        e.Dense[0] = double.NaN;

        Assert.Throws<ArgumentException>(() => Write(e));
    }

    [Fact]
    public void AValidEventAllocatesNothing()
    {
        var parser = new JsonEventParser(Schema);
        var e = new ClickEvent(Schema);
        var json = """{"clicked": 1, "price": "12.5", "hour": 3, "user_id": 18446744073709551615, "country": "d\u00e9", "tags": ["a", 7, "b", "c"], "x": {"y": [1]}}"""u8.ToArray();
        Assert.True(parser.TryParse(json, e, out _, out _));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) parser.TryParse(json, e, out _, out _);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static byte[] Write(ClickEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) JsonEventWriter.Write(e, writer);
        return buffer.ToArray();
    }

    private static ClickEvent Parse(string json)
    {
        var e = new ClickEvent(Schema);
        Assert.True(new JsonEventParser(Schema).TryParse(Encoding.UTF8.GetBytes(json), e, out var kind, out var reason), $"{kind}: {reason}");
        return e;
    }

    private static void AssertRejected(string json, EventErrorKind expectedKind, string expectedReasonStart) =>
        AssertRejected(Encoding.UTF8.GetBytes(json), expectedKind, expectedReasonStart);

    private static void AssertRejected(byte[] json, EventErrorKind expectedKind, string expectedReasonStart)
    {
        Assert.False(new JsonEventParser(Schema).TryParse(json, new ClickEvent(Schema), out var kind, out var reason));
        Assert.Equal(expectedKind, kind);
        Assert.StartsWith(expectedReasonStart, reason);
        Assert.DoesNotContain('\n', reason!);
    }

    /// <summary>Everything an event holds, in one line: "label=1 price=12.5 ... tags=[s:a,i:7] dropped=0".</summary>
    private static string Describe(ClickEvent e, bool withDropped = true)
    {
        var parts = new List<string> { $"label={(e.Label ? 1 : 0)}" };
        for (int i = 0; i < e.Schema.Dense.Count; i++)
            parts.Add($"{e.Schema.Dense[i].Name}={(e.Dense[i] is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "-")}");
        for (int j = 0; j < e.Schema.Sparse.Count; j++)
        {
            var values = new List<string>();
            for (int v = 0; v < e.CountOf(j); v++)
            {
                var value = e.ValueOf(j, v);
                values.Add(value.Kind == SparseValueKind.Integer ? $"i:{value.Integer}" : $"s:{value.ToString()}");
            }
            parts.Add($"{e.Schema.Sparse[j].Name}=[{string.Join(',', values)}]");
        }
        if (withDropped) parts.Add($"dropped={e.DroppedValues}");
        return string.Join(' ', parts);
    }
}
