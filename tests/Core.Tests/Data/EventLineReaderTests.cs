using System.Text;
using Recurring.Core.Data;
using static Recurring.Core.Tests.Data.CriteoLines;

namespace Recurring.Core.Tests.Data;

public class EventLineReaderTests
{
    private static readonly FeatureSchema Criteo = FeatureSchema.Criteo();
    private static readonly CriteoEventParser Tsv = new(Criteo);

    private static readonly string Clicked = WithField(1, "1");
    private static readonly string NotClicked = WithField(1, "0");

    [Fact]
    public void ReadsEveryLineThenReportsTheEnd()
    {
        var outcomes = ReadAll(Clicked + "\n" + NotClicked + "\n");

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void ReadsALastLineThatHasNoNewline()
    {
        var outcomes = ReadAll(Clicked + "\n" + NotClicked);

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void ReadsCrlfLineEnds()
    {
        var outcomes = ReadAll(Clicked + "\r\n" + NotClicked + "\r\n");

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void AnEmptyStreamHasNoLines()
    {
        Assert.Empty(ReadAll(""));
    }

    [Fact]
    public void AnEmptyLineInTheMiddleIsAWrongFieldCountError()
    {
        var outcomes = ReadAll(Clicked + "\n\n" + NotClicked + "\n");

        Assert.Equal(["record clicked", "error 2 WrongFieldCount: expected 40 tab-separated fields, found 1", "record not clicked"], outcomes);
    }

    [Fact]
    public void MalformedLinesAreReportedWithTheirLineNumberAndReadingGoesOn()
    {
        var lines = new[] { Clicked, WithField(1, "x"), WithField(3, "abc"), WithField(4, "1e999"), WithField(16, "xyz"), "1\t2", NotClicked };

        var outcomes = ReadAll(string.Join('\n', lines));

        Assert.Equal(
        [
            "record clicked",
            "error 2 BadLabel: field 1 (label): 'x' is not 0 or 1",
            "error 3 NonNumericDense: field 3 (dense I2): 'abc' is not a number",
            "error 4 NonFiniteDense: field 4 (dense I3): '1e999' is not a finite number",
            "error 5 NonHexCategorical: field 16 (categorical C2): 'xyz' is not 1 to 16 hex digits",
            "error 6 WrongFieldCount: expected 40 tab-separated fields, found 2",
            "record not clicked",
        ], outcomes);
    }

    [Fact]
    public void ALineOverTheLimitIsSkippedAndTheNextLineIsRead()
    {
        var input = Clicked + "\n" + new string('x', 5000) + "\n" + NotClicked + "\n";

        var outcomes = ReadAll(input, maxLineBytes: 1000);

        Assert.Equal(["record clicked", "error 2 LineTooLong: line is 5000 bytes long, over the 1000-byte limit", "record not clicked"], outcomes);
    }

    [Fact]
    public void ALineExactlyAtTheLimitIsRead()
    {
        var outcomes = ReadAll(Clicked + "\n", maxLineBytes: Clicked.Length);

        Assert.Equal(["record clicked"], outcomes);
    }

    [Fact]
    public void AnOverlongLastLineWithoutNewlineIsReportedOnce()
    {
        var outcomes = ReadAll(Clicked + "\n" + new string('x', 5000), maxLineBytes: 1000);

        Assert.Equal(["record clicked", "error 2 LineTooLong: line is 5000 bytes long, over the 1000-byte limit"], outcomes);
    }

    [Fact]
    public void AnOverlongLineIsSkippedWithoutBeingBuffered()
    {
        var input = Encoding.ASCII.GetBytes(new string('x', 8 << 20) + "\n" + Clicked + "\n");
        using var reader = new EventLineReader(new MemoryStream(input), Tsv, maxLineBytes: 1000);
        var record = new ClickEvent(Criteo);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(EventReadStatus.Error, reader.Read(record, out _));
        Assert.Equal(EventReadStatus.Event, reader.Read(record, out _));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 10);
    }

    [Fact]
    public void OffsetIsWhereTheNextLineStarts()
    {
        var first = Clicked + "\r\n";
        using var reader = new EventLineReader(new MemoryStream(Encoding.ASCII.GetBytes(first + NotClicked + "\n")), Tsv);

        reader.Read(new ClickEvent(Criteo), out _);

        Assert.Equal(first.Length, reader.Offset);
        Assert.Equal(1, reader.LineNumber);
    }

    [Fact]
    public void AReaderStartedAtASavedOffsetContinuesWithTheNextLine()
    {
        var lines = Enumerable.Range(0, 5).Select(i => WithField(2, i.ToString())).ToArray();
        var input = new MemoryStream(Encoding.ASCII.GetBytes(string.Join('\n', lines) + "\n"));
        var record = new ClickEvent(Criteo);
        long offset, lineNumber;
        using (var first = new EventLineReader(input, Tsv, leaveOpen: true))
        {
            first.Read(record, out _);
            first.Read(record, out _);
            (offset, lineNumber) = (first.Offset, first.LineNumber);
        }

        using var resumed = new EventLineReader(input, Tsv, startOffset: offset, firstLineNumber: lineNumber + 1);

        Assert.Equal(EventReadStatus.Event, resumed.Read(record, out _));
        Assert.Equal(2, record.Dense[0]);
        Assert.Equal(3, resumed.LineNumber);
    }

    [Fact]
    public void RandomGarbageYieldsNumberedErrorsWithoutThrowing()
    {
        var garbage = new byte[1 << 20];
        new Random(20261126).NextBytes(garbage);
        using var reader = new EventLineReader(new MemoryStream(garbage), Tsv, maxLineBytes: 4096);
        var record = new ClickEvent(Criteo);

        long expectedLine = 0;
        EventReadStatus status;
        while ((status = reader.Read(record, out var error)) != EventReadStatus.EndOfStream)
        {
            Assert.Equal(EventReadStatus.Error, status);
            Assert.Equal(++expectedLine, error.Record);
        }

        Assert.Equal(garbage.Length, reader.Offset);
        Assert.Equal(garbage.Count(b => b == '\n') + (garbage[^1] == '\n' ? 0 : 1), expectedLine);
    }

    [Fact]
    public void ReadingALargeStreamAllocatesNothingThatGrowsWithItsSize()
    {
        const int lineCount = 200_000;
        var line = Encoding.ASCII.GetBytes(Clicked + "\n");
        var input = new byte[line.Length * lineCount];
        for (int i = 0; i < lineCount; i++) line.CopyTo(input, i * line.Length);
        using var reader = new EventLineReader(new MemoryStream(input), Tsv);
        var record = new ClickEvent(Criteo);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int records = 0;
        while (reader.Read(record, out _) == EventReadStatus.Event) records++;

        Assert.Equal(lineCount, records);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 10);
    }

    [Fact]
    public void JsonLinesAreReadWithTheJsonParserAndAMalformedLineIsReportedWithItsNumber()
    {
        var schema = new FeatureSchema("clicked", [new DenseFeature("price")], [new SparseFeature("tags", 100, Multi: true)]);
        var input = "{\"clicked\": 1, \"price\": 2.5, \"tags\": [\"a\", 7]}\n{\"clicked\": 1, \"pri\n{\"clicked\": 0}\n";
        using var reader = new EventLineReader(new MemoryStream(Encoding.UTF8.GetBytes(input)), new JsonEventParser(schema));
        var e = new ClickEvent(schema);

        Assert.Equal(EventReadStatus.Event, reader.Read(e, out _));
        Assert.Equal((true, 2.5, 2), (e.Label, e.Dense[0], e.CountOf(0)));
        Assert.Equal(EventReadStatus.Error, reader.Read(e, out var error));
        Assert.Equal((2L, EventErrorKind.MalformedJson), (error.Record, error.Kind));
        Assert.Equal(EventReadStatus.Event, reader.Read(e, out _));
        Assert.False(e.Label);
        Assert.Equal(EventReadStatus.EndOfStream, reader.Read(e, out _));
    }

    [Fact]
    public void ReadingAfterDisposeThrows()
    {
        var reader = new EventLineReader(new MemoryStream(), Tsv);
        reader.Dispose();

        Assert.Throws<ObjectDisposedException>(() => reader.Read(new ClickEvent(Criteo), out _));
    }

    /// <summary>Each line's outcome as "record clicked" / "record not clicked" / "error LINE KIND: REASON".</summary>
    private static List<string> ReadAll(string input, int maxLineBytes = 65536)
    {
        using var reader = new EventLineReader(new MemoryStream(Encoding.ASCII.GetBytes(input)), Tsv, maxLineBytes: maxLineBytes);
        var record = new ClickEvent(Criteo);
        var outcomes = new List<string>();
        EventReadStatus status;
        while ((status = reader.Read(record, out var error)) != EventReadStatus.EndOfStream)
        {
            outcomes.Add(status == EventReadStatus.Event
                ? record.Label ? "record clicked" : "record not clicked"
                : $"error {error.Record} {error.Kind}: {error.Reason}");
        }
        return outcomes;
    }
}
