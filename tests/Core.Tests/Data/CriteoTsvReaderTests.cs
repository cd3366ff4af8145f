using System.Text;
using Recurring.Core.Data;
using static Recurring.Core.Tests.Data.CriteoLines;

namespace Recurring.Core.Tests.Data;

public class CriteoTsvReaderTests
{
    private static readonly string Clicked = WithField(1, "1");
    private static readonly string NotClicked = WithField(1, "0");

    [Fact]
    public void Reads_every_line_then_reports_the_end()
    {
        var outcomes = ReadAll(Clicked + "\n" + NotClicked + "\n");

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void Reads_a_last_line_that_has_no_newline()
    {
        var outcomes = ReadAll(Clicked + "\n" + NotClicked);

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void Reads_crlf_line_ends()
    {
        var outcomes = ReadAll(Clicked + "\r\n" + NotClicked + "\r\n");

        Assert.Equal(["record clicked", "record not clicked"], outcomes);
    }

    [Fact]
    public void An_empty_stream_has_no_lines()
    {
        Assert.Empty(ReadAll(""));
    }

    [Fact]
    public void An_empty_line_in_the_middle_is_a_wrong_field_count_error()
    {
        var outcomes = ReadAll(Clicked + "\n\n" + NotClicked + "\n");

        Assert.Equal(["record clicked", "error 2 WrongFieldCount: expected 40 tab-separated fields, found 1", "record not clicked"], outcomes);
    }

    [Fact]
    public void Malformed_lines_are_reported_with_their_line_number_and_reading_goes_on()
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
    public void A_line_over_the_limit_is_skipped_and_the_next_line_is_read()
    {
        var input = Clicked + "\n" + new string('x', 5000) + "\n" + NotClicked + "\n";

        var outcomes = ReadAll(input, maxLineBytes: 1000);

        Assert.Equal(["record clicked", "error 2 LineTooLong: line is 5000 bytes long, over the 1000-byte limit", "record not clicked"], outcomes);
    }

    [Fact]
    public void A_line_exactly_at_the_limit_is_read()
    {
        var outcomes = ReadAll(Clicked + "\n", maxLineBytes: Clicked.Length);

        Assert.Equal(["record clicked"], outcomes);
    }

    [Fact]
    public void An_overlong_last_line_without_newline_is_reported_once()
    {
        var outcomes = ReadAll(Clicked + "\n" + new string('x', 5000), maxLineBytes: 1000);

        Assert.Equal(["record clicked", "error 2 LineTooLong: line is 5000 bytes long, over the 1000-byte limit"], outcomes);
    }

    [Fact]
    public void An_overlong_line_is_skipped_without_being_buffered()
    {
        var input = Encoding.ASCII.GetBytes(new string('x', 8 << 20) + "\n" + Clicked + "\n");
        using var reader = new CriteoTsvReader(new MemoryStream(input), maxLineBytes: 1000);
        var record = new CriteoRecord();

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(CriteoReadStatus.Error, reader.Read(record, out _));
        Assert.Equal(CriteoReadStatus.Record, reader.Read(record, out _));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 10);
    }

    [Fact]
    public void Offset_is_where_the_next_line_starts()
    {
        var first = Clicked + "\r\n";
        using var reader = new CriteoTsvReader(new MemoryStream(Encoding.ASCII.GetBytes(first + NotClicked + "\n")));

        reader.Read(new CriteoRecord(), out _);

        Assert.Equal(first.Length, reader.Offset);
        Assert.Equal(1, reader.LineNumber);
    }

    [Fact]
    public void A_reader_started_at_a_saved_offset_continues_with_the_next_line()
    {
        var lines = Enumerable.Range(0, 5).Select(i => WithField(2, i.ToString())).ToArray();
        var input = new MemoryStream(Encoding.ASCII.GetBytes(string.Join('\n', lines) + "\n"));
        var record = new CriteoRecord();
        long offset, lineNumber;
        using (var first = new CriteoTsvReader(input, leaveOpen: true))
        {
            first.Read(record, out _);
            first.Read(record, out _);
            (offset, lineNumber) = (first.Offset, first.LineNumber);
        }

        using var resumed = new CriteoTsvReader(input, startOffset: offset, firstLineNumber: lineNumber + 1);

        Assert.Equal(CriteoReadStatus.Record, resumed.Read(record, out _));
        Assert.Equal(2, record.Dense[0]);
        Assert.Equal(3, resumed.LineNumber);
    }

    [Fact]
    public void Random_garbage_yields_numbered_errors_without_throwing()
    {
        var garbage = new byte[1 << 20];
        new Random(20261126).NextBytes(garbage);
        using var reader = new CriteoTsvReader(new MemoryStream(garbage), maxLineBytes: 4096);
        var record = new CriteoRecord();

        long expectedLine = 0;
        CriteoReadStatus status;
        while ((status = reader.Read(record, out var error)) != CriteoReadStatus.EndOfStream)
        {
            Assert.Equal(CriteoReadStatus.Error, status);
            Assert.Equal(++expectedLine, error.LineNumber);
        }

        Assert.Equal(garbage.Length, reader.Offset);
        Assert.Equal(garbage.Count(b => b == '\n') + (garbage[^1] == '\n' ? 0 : 1), expectedLine);
    }

    [Fact]
    public void Reading_a_large_stream_allocates_nothing_that_grows_with_its_size()
    {
        const int lineCount = 200_000;
        var line = Encoding.ASCII.GetBytes(Clicked + "\n");
        var input = new byte[line.Length * lineCount];
        for (int i = 0; i < lineCount; i++) line.CopyTo(input, i * line.Length);
        using var reader = new CriteoTsvReader(new MemoryStream(input));
        var record = new CriteoRecord();

        long before = GC.GetAllocatedBytesForCurrentThread();
        int records = 0;
        while (reader.Read(record, out _) == CriteoReadStatus.Record) records++;

        Assert.Equal(lineCount, records);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 10);
    }

    [Fact]
    public void Reading_after_dispose_throws()
    {
        var reader = new CriteoTsvReader(new MemoryStream());
        reader.Dispose();

        Assert.Throws<ObjectDisposedException>(() => reader.Read(new CriteoRecord(), out _));
    }

    /// <summary>Each line's outcome as "record clicked" / "record not clicked" / "error LINE KIND: REASON".</summary>
    private static List<string> ReadAll(string input, int maxLineBytes = 65536)
    {
        using var reader = new CriteoTsvReader(new MemoryStream(Encoding.ASCII.GetBytes(input)), maxLineBytes: maxLineBytes);
        var record = new CriteoRecord();
        var outcomes = new List<string>();
        CriteoReadStatus status;
        while ((status = reader.Read(record, out var error)) != CriteoReadStatus.EndOfStream)
        {
            outcomes.Add(status == CriteoReadStatus.Record
                ? record.Label ? "record clicked" : "record not clicked"
                : $"error {error.LineNumber} {error.Kind}: {error.Reason}");
        }
        return outcomes;
    }
}
