using Recurring.Core.Data;
using static Recurring.Core.Tests.Data.CriteoLines;

namespace Recurring.Core.Tests.Data;

public class CriteoLineParserTests
{
    private readonly CriteoRecord _record = new();

    [Fact]
    public void AValidLineFillsEveryFieldAndLeavesEmptyOnesMissing()
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(Valid), _record, out _, out _));

        Assert.True(_record.Label);
        Assert.Equal(new double?[] { 5, null, -3, 0.5, 1000, null, null, null, null, null, null, null, 7 }, _record.Dense);
        Assert.Equal(0x68fd1e64UL, _record.Categorical[0]);
        Assert.Null(_record.Categorical[1]);
        Assert.Equal(ulong.MaxValue, _record.Categorical[2]);
        Assert.Equal(0UL, _record.Categorical[3]);
        Assert.Equal(0xabcdUL, _record.Categorical[25]);
        Assert.Equal(22, _record.Categorical.Count(value => value is null));
    }

    [Fact]
    public void ReusingARecordClearsValuesThatTheNextLineLeavesMissing()
    {
        CriteoLineParser.TryParse(Utf8(WithField(3, "42")), _record, out _, out _);

        Assert.True(CriteoLineParser.TryParse(Utf8(Valid), _record, out _, out _));

        Assert.Null(_record.Dense[1]);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void ATrailingLineEndIsIgnored(string lineEnd)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(Valid + lineEnd), _record, out _, out var reason), reason);

        Assert.Equal(0xabcdUL, _record.Categorical[25]);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    public void TheLabelIs0Or1(string label, bool clicked)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(WithField(1, label)), _record, out _, out _));

        Assert.Equal(clicked, _record.Label);
    }

    [Theory]
    [InlineData("+2.5", 2.5)]
    [InlineData("-0.25", -0.25)]
    [InlineData(".5", 0.5)]
    [InlineData("1.5E-2", 0.015)]
    [InlineData("12345678901", 12345678901.0)]
    [InlineData("-12345678901234567890", -12345678901234567890.0)]
    public void DenseValuesAreInvariantCultureNumbers(string text, double expected)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(WithField(2, text)), _record, out _, out _));

        Assert.Equal(expected, _record.Dense[0]);
    }

    [Theory]
    [InlineData("deadBEEF", 0xdeadbeefUL)]
    [InlineData("7", 7UL)]
    [InlineData("000000000000000f", 15UL)]
    public void CategoricalValuesAre1To16HexDigitsInEitherCase(string text, ulong expected)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(WithField(15, text)), _record, out _, out _));

        Assert.Equal(expected, _record.Categorical[0]);
    }

    [Theory]
    [InlineData(39)]
    [InlineData(41)]
    public void ALineWithoutExactly40FieldsIsRejectedWithTheCountFound(int fieldCount)
    {
        var line = string.Join('\t', Enumerable.Repeat("1", fieldCount));

        AssertRejected(Utf8(line), EventErrorKind.WrongFieldCount, $"expected 40 tab-separated fields, found {fieldCount}");
    }

    [Fact]
    public void AnEmptyLineIsRejectedAsOneField()
    {
        AssertRejected([], EventErrorKind.WrongFieldCount, "expected 40 tab-separated fields, found 1");
    }

    [Theory]
    [InlineData("2", "'2'")]
    [InlineData("", "''")]
    [InlineData("01", "'01'")]
    [InlineData(" 1", "' 1'")]
    [InlineData("true", "'true'")]
    public void ALabelOtherThan0Or1IsRejected(string label, string quoted)
    {
        AssertRejected(Utf8(WithField(1, label)), EventErrorKind.BadLabel, $"field 1 (label): {quoted} is not 0 or 1");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("0x10")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("--1")]
    [InlineData("1e")]
    [InlineData("1.2.3")]
    public void ADenseValueThatIsNotANumberIsRejectedNamingTheField(string text)
    {
        AssertRejected(Utf8(WithField(5, text)), EventErrorKind.NonNumericDense, $"field 5 (dense I4): '{text}' is not a number");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e999")]
    [InlineData("-1e999")]
    public void ADenseValueThatIsNotFiniteIsRejectedNamingTheField(string text)
    {
        AssertRejected(Utf8(WithField(14, text)), EventErrorKind.NonFiniteDense, $"field 14 (dense I13): '{text}' is not a finite number");
    }

    [Theory]
    [InlineData("g1")]
    [InlineData("12345678901234567")]
    [InlineData("-1")]
    [InlineData("0x1f")]
    [InlineData(" a")]
    public void ACategoricalValueThatIsNot1To16HexDigitsIsRejectedNamingTheField(string text)
    {
        AssertRejected(Utf8(WithField(20, text)), EventErrorKind.NonHexCategorical, $"field 20 (categorical C6): '{text}' is not 1 to 16 hex digits");
    }

    [Fact]
    public void InvalidUtf8IsRejectedWithTheBytesEscaped()
    {
        var line = Utf8(WithField(2, "#"));
        line[Array.IndexOf(line, (byte)'#')] = 0xff;

        AssertRejected(line, EventErrorKind.NonNumericDense, @"field 2 (dense I1): '\xff' is not a number");
    }

    [Fact]
    public void AReasonEscapesQuotesBackslashesAndControlBytes()
    {
        AssertRejected(Utf8(WithField(40, "a'b\\c\u0001")), EventErrorKind.NonHexCategorical,
            @"field 40 (categorical C26): 'a\'b\\c\x01' is not 1 to 16 hex digits");
    }

    [Fact]
    public void AReasonQuotesAtMost40BytesOfALongValueAndGivesItsLength()
    {
        var value = new string('z', 40) + new string('y', 160);

        AssertRejected(Utf8(WithField(15, value)), EventErrorKind.NonHexCategorical,
            $"field 15 (categorical C1): '{new string('z', 40)}...' (200 bytes) is not 1 to 16 hex digits");
    }

    [Fact]
    public void RandomBytesAreRejectedWithoutThrowing()
    {
        var random = new Random(20261126);
        for (int i = 0; i < 10_000; i++)
        {
            var garbage = new byte[random.Next(0, 400)];
            random.NextBytes(garbage);

            Assert.False(CriteoLineParser.TryParse(garbage, _record, out _, out var reason));
            Assert.DoesNotContain('\n', reason);
        }
    }

    [Fact]
    public void ParsingAValidLineAllocatesNothing()
    {
        var line = Utf8(Valid);
        CriteoLineParser.TryParse(line, _record, out _, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) CriteoLineParser.TryParse(line, _record, out _, out _);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private void AssertRejected(byte[] line, EventErrorKind expectedKind, string expectedReason)
    {
        Assert.False(CriteoLineParser.TryParse(line, _record, out var kind, out var reason));
        Assert.Equal(expectedKind, kind);
        Assert.Equal(expectedReason, reason);
    }
}
