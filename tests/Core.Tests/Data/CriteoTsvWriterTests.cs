using System.Text;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class CriteoTsvWriterTests
{
    [Fact]
    public void WritesTheCanonicalForm()
    {
        var record = new CriteoRecord { Label = true };
        record.Dense[0] = 5;
        record.Dense[1] = -3;
        record.Dense[2] = 0.1;
        record.Dense[12] = 1e18;
        record.Categorical[0] = 0xabc;
        record.Categorical[1] = 0x1_0000_0000;
        record.Categorical[25] = ulong.MaxValue;

        var text = WriteToText(record);

        Assert.Equal("1\t5\t-3\t0.1" + new string('\t', 9) + "\t1000000000000000000" +
            "\t00000abc\t0000000100000000" + new string('\t', 23) + "\tffffffffffffffff\n", text);
    }

    [Fact]
    public void RecordsSurviveARoundTripThroughTheReaderExactly()
    {
        var records = new[] { AllMissing(), Extremes(), Typical(label: true), Typical(label: false) };
        var file = new MemoryStream();
        using (var writer = new CriteoTsvWriter(file, leaveOpen: true))
        {
            foreach (var record in records) writer.Write(record);
        }
        file.Position = 0;

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n');
        Assert.Equal(records.Length + 1, lines.Length);
        Assert.Equal("", lines[^1]);
        for (int i = 0; i < records.Length; i++)
        {
            var actual = new CriteoRecord();
            Assert.True(CriteoLineParser.TryParse(Encoding.UTF8.GetBytes(lines[i]), actual, out _, out string reason), reason);
            AssertSame(records[i], actual);
        }
    }

    [Fact]
    public void OutputLargerThanTheBufferIsWrittenWhole()
    {
        var record = Extremes();
        var file = new MemoryStream();
        using (var writer = new CriteoTsvWriter(file, leaveOpen: true))
        {
            for (int i = 0; i < 1000; i++) writer.Write(record);
        }

        var lines = Encoding.ASCII.GetString(file.ToArray()).Split('\n');

        Assert.Equal(1001, lines.Length);
        Assert.All(lines[..^1], line => Assert.Equal(lines[0], line));
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public void ATextWriterReceivesTheSameTextAsAStream()
    {
        var record = Typical(label: true);
        var bytes = new MemoryStream();
        using (var writer = new CriteoTsvWriter(bytes, leaveOpen: true)) writer.Write(record);

        Assert.Equal(Encoding.ASCII.GetString(bytes.ToArray()), WriteToText(record));
    }

    [Fact]
    public void NothingReachesTheStreamBeforeAFlush()
    {
        var file = new MemoryStream();
        using var writer = new CriteoTsvWriter(file, leaveOpen: true);

        writer.Write(Typical(label: true));
        Assert.Equal(0, file.Length);

        writer.Flush();
        Assert.NotEqual(0, file.Length);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void ANonFiniteDenseValueIsRefused(double value)
    {
        var record = Typical(label: true);
        record.Dense[6] = value;
        using var writer = new CriteoTsvWriter(new MemoryStream());

        var refusal = Assert.Throws<ArgumentException>(() => writer.Write(record));

        Assert.Contains("I7", refusal.Message);
    }

    private static string WriteToText(CriteoRecord record)
    {
        var text = new StringWriter();
        using (var writer = new CriteoTsvWriter(text)) writer.Write(record);
        return text.ToString();
    }

    private static CriteoRecord AllMissing() => new();

    private static CriteoRecord Extremes()
    {
        var record = new CriteoRecord { Label = true };
        double[] dense = [-0.0, double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon, 1e15, -9.2233720368547758E18,
            9.2233720368547758E18, 0.1 + 0.2, -1234567.890123, 1e-300, Math.PI, -1];
        for (int i = 0; i < CriteoRecord.DenseCount; i++) record.Dense[i] = dense[i];
        for (int i = 0; i < CriteoRecord.CategoricalCount; i++) record.Categorical[i] = ulong.MaxValue >> i;
        return record;
    }

    private static CriteoRecord Typical(bool label)
    {
        var record = new CriteoRecord { Label = label };
        for (int i = 0; i < CriteoRecord.DenseCount; i += 2) record.Dense[i] = i * 7 - 20;
        for (int i = 1; i < CriteoRecord.CategoricalCount; i += 3) record.Categorical[i] = 0x9E3779B9UL * (ulong)i;
        return record;
    }

    private static void AssertSame(CriteoRecord expected, CriteoRecord actual)
    {
        Assert.Equal(expected.Label, actual.Label);
        // Compared bit for bit: negative zero must come back negative.
        Assert.Equal(expected.Dense.Select(Bits), actual.Dense.Select(Bits));
        Assert.Equal(expected.Categorical, actual.Categorical);
    }

    private static long? Bits(double? value) => value is { } present ? BitConverter.DoubleToInt64Bits(present) : null;
}
