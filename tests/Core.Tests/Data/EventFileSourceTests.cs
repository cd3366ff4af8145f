using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class EventFileSourceTests
{
    private static readonly FeatureSchema Schema = new("clicked",
        [new DenseFeature("price"), new DenseFeature("hour")],
        [new SparseFeature("user_id", 1000), new SparseFeature("tags", 1000, Multi: true, MaxValues: 4)]);

    [Theory]
    [InlineData(EventFileFormat.JsonLines)]
    [InlineData(EventFileFormat.Parquet)]
    public void ASourceStartedAtAnotherSourcesPositionReadsTheRestOfTheFiles(EventFileFormat format)
    {
        var events = Events(1_000);
        EventFile[] files = [File("day0", format, events[..600]), File("day1", format, events[600..])];
        using var first = new EventFileSource(Schema, files);
        var e = new ClickEvent(Schema);
        for (int i = 0; i < 450; i++) Assert.True(first.TryRead(e, out _));

        using var resumed = new EventFileSource(Schema, files, first.Position);

        Assert.Equal(events[450..].Select(ParquetEventSourceTests.Describe), ParquetEventSourceTests.Drain(resumed, Schema).Select(ParquetEventSourceTests.Describe));
    }

    [Fact]
    public void AParquetPositionCountsRowsOfItsFile()
    {
        var events = Events(700);
        using var source = new EventFileSource(Schema, [File("day0", EventFileFormat.Parquet, events[..300]), File("day1", EventFileFormat.Parquet, events[300..])]);
        var e = new ClickEvent(Schema);
        for (int i = 0; i < 420; i++) source.TryRead(e, out _);

        Assert.Equal(new EventFilePosition("day1", 0, 120), source.Position);
    }

    [Fact]
    public void MalformedJsonLinesAreCountedAndSkippedWithoutEndingTheRun()
    {
        var text = "{\"clicked\": 1, \"price\": 1}\nnot json\n{\"clicked\": 7}\n{\"clicked\": 0, \"user_id\": \"u\"}\n";
        var errors = new List<string>();
        using var source = new EventFileSource(Schema, [new EventFile("day0.jsonl", EventFileFormat.JsonLines, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)))]);
        source.Malformed += (name, error) => errors.Add($"{name}:{error.Record} {error.Kind}");

        var read = ParquetEventSourceTests.Drain(source, Schema);

        Assert.Equal(["1 | 1 - | - | -", "0 | - - | s:u | -"], read.Select(ParquetEventSourceTests.Describe));
        Assert.Equal(["day0.jsonl:2 MalformedJson", "day0.jsonl:3 BadLabel"], errors);
        Assert.Equal((4L, 2L), (source.RecordsRead, source.MalformedRecords));
    }

    [Fact]
    public void RecordsAreCountedAsLinesOrParquetRows()
    {
        var events = Events(250);
        EventFile[] files = [File("a", EventFileFormat.JsonLines, events[..100]), File("b", EventFileFormat.Parquet, events[100..])];

        Assert.Equal(250, EventFileSource.CountRecords(files));
    }

    private static ClickEvent[] Events(int count)
    {
        var random = new RandomEvents(Schema, 7);
        return Enumerable.Range(0, count).Select(_ => random.Next()).ToArray();
    }

    /// <summary>An in-memory file of these events; Parquet in row groups of 128 rows, so positions fall inside and across them.</summary>
    private static EventFile File(string name, EventFileFormat format, IEnumerable<ClickEvent> events)
    {
        var stream = new MemoryStream();
        using (IEventWriter writer = format == EventFileFormat.Parquet
                   ? new ParquetEventWriter(stream, Schema, rowGroupRows: 128, leaveOpen: true)
                   : new JsonLinesEventWriter(stream, leaveOpen: true))
            foreach (var e in events) writer.Write(e);
        var bytes = stream.ToArray();
        return new EventFile(name, format, () => new MemoryStream(bytes));
    }
}
