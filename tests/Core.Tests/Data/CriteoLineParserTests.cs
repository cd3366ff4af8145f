using Recurring.Core.Data;
using static Recurring.Core.Tests.Data.CriteoLines;

namespace Recurring.Core.Tests.Data;

public class CriteoLineParserTests
{
    private readonly CriteoRecord _record = new();

    [Fact]
    public void A_valid_line_fills_every_field_and_leaves_empty_ones_missing()
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
    public void Reusing_a_record_clears_values_that_the_next_line_leaves_missing()
    {
        CriteoLineParser.TryParse(Utf8(WithField(3, "42")), _record, out _, out _);

        Assert.True(CriteoLineParser.TryParse(Utf8(Valid), _record, out _, out _));

        Assert.Null(_record.Dense[1]);
    }

    [Fact]
    public void A_trailing_carriage_return_is_ignored()
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(Valid + "\r"), _record, out _, out _));

        Assert.Equal(0xabcdUL, _record.Categorical[25]);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    public void The_label_is_0_or_1(string label, bool clicked)
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
    public void Dense_values_are_invariant_culture_numbers(string text, double expected)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(WithField(2, text)), _record, out _, out _));

        Assert.Equal(expected, _record.Dense[0]);
    }

    [Theory]
    [InlineData("deadBEEF", 0xdeadbeefUL)]
    [InlineData("7", 7UL)]
    [InlineData("000000000000000f", 15UL)]
    public void Categorical_values_are_1_to_16_hex_digits_in_either_case(string text, ulong expected)
    {
        Assert.True(CriteoLineParser.TryParse(Utf8(WithField(15, text)), _record, out _, out _));

        Assert.Equal(expected, _record.Categorical[0]);
    }

    [Theory]
    [InlineData(39)]
    [InlineData(41)]
    public void A_line_without_exactly_40_fields_is_rejected_with_the_count_found(int fieldCount)
    {
        var line = string.Join('\t', Enumerable.Repeat("1", fieldCount));

        AssertRejected(Utf8(line), CriteoErrorKind.WrongFieldCount, $"expected 40 tab-separated fields, found {fieldCount}");
    }

    [Fact]
    public void An_empty_line_is_rejected_as_one_field()
    {
        AssertRejected([], CriteoErrorKind.WrongFieldCount, "expected 40 tab-separated fields, found 1");
    }

    [Theory]
    [InlineData("2", "'2'")]
    [InlineData("", "''")]
    [InlineData("01", "'01'")]
    [InlineData(" 1", "' 1'")]
    [InlineData("true", "'true'")]
    public void A_label_other_than_0_or_1_is_rejected(string label, string quoted)
    {
        AssertRejected(Utf8(WithField(1, label)), CriteoErrorKind.BadLabel, $"field 1 (label): {quoted} is not 0 or 1");
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
    public void A_dense_value_that_is_not_a_number_is_rejected_naming_the_field(string text)
    {
        AssertRejected(Utf8(WithField(5, text)), CriteoErrorKind.NonNumericDense, $"field 5 (dense I4): '{text}' is not a number");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e999")]
    [InlineData("-1e999")]
    public void A_dense_value_that_is_not_finite_is_rejected_naming_the_field(string text)
    {
        AssertRejected(Utf8(WithField(14, text)), CriteoErrorKind.NonFiniteDense, $"field 14 (dense I13): '{text}' is not a finite number");
    }

    [Theory]
    [InlineData("g1")]
    [InlineData("12345678901234567")]
    [InlineData("-1")]
    [InlineData("0x1f")]
    [InlineData(" a")]
    public void A_categorical_value_that_is_not_1_to_16_hex_digits_is_rejected_naming_the_field(string text)
    {
        AssertRejected(Utf8(WithField(20, text)), CriteoErrorKind.NonHexCategorical, $"field 20 (categorical C6): '{text}' is not 1 to 16 hex digits");
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_the_bytes_escaped()
    {
        var line = Utf8(WithField(2, "#"));
        line[Array.IndexOf(line, (byte)'#')] = 0xff;

        AssertRejected(line, CriteoErrorKind.NonNumericDense, @"field 2 (dense I1): '\xff' is not a number");
    }

    [Fact]
    public void A_reason_escapes_quotes_backslashes_and_control_bytes()
    {
        AssertRejected(Utf8(WithField(40, "a'b\\c\u0001")), CriteoErrorKind.NonHexCategorical,
            @"field 40 (categorical C26): 'a\'b\\c\x01' is not 1 to 16 hex digits");
    }

    [Fact]
    public void A_reason_quotes_at_most_40_bytes_of_a_long_value_and_gives_its_length()
    {
        var value = new string('z', 40) + new string('y', 160);

        AssertRejected(Utf8(WithField(15, value)), CriteoErrorKind.NonHexCategorical,
            $"field 15 (categorical C1): '{new string('z', 40)}...' (200 bytes) is not 1 to 16 hex digits");
    }

    [Fact]
    public void Random_bytes_are_rejected_without_throwing()
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
    public void Parsing_a_valid_line_allocates_nothing()
    {
        var line = Utf8(Valid);
        CriteoLineParser.TryParse(line, _record, out _, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) CriteoLineParser.TryParse(line, _record, out _, out _);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private void AssertRejected(byte[] line, CriteoErrorKind expectedKind, string expectedReason)
    {
        Assert.False(CriteoLineParser.TryParse(line, _record, out var kind, out var reason));
        Assert.Equal(expectedKind, kind);
        Assert.Equal(expectedReason, reason);
    }
}
