using System.Globalization;
using ParquetSharp;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class ParquetEventSourceTests
{
    private static readonly FeatureSchema Schema = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour")],
        [new SparseFeature("user_id", 1000), new SparseFeature("tags", 1000, Multi: true, MaxValues: 12)]);

    [Fact]
    public void EventsWrittenByTheWriterAreReadBackEqual()
    {
        // Enough rows and list values that row groups end and value batches end in the middle of a row's list.
        var written = Events(3_000, seed: 1);
        var file = Write(written, rowGroupRows: 1_000);

        var read = ReadAll(file, out _);

        Assert.Equal(written.Select(Describe), read.Select(Describe));
    }

    [Fact]
    public void NullCellsNullListsAndNullElementsAreMissingValues()
    {
        var file = WriteColumns(
            new Column[] { new Column<int>("clicked"), new Column<double?>("price"), new Column<float?>("hour"), new Column<string>("user_id"), new Column<string[]>("tags") },
            new int[] { 1, 0, 0 },
            new double?[] { null, 2.5, 3 },
            new float?[] { 1.5f, null, 7 },
            new string?[] { "u1", null, "u3" },
            new string?[]?[] { ["a", null, "b"], null, [] });

        var read = ReadAll(file, out _);

        Assert.Equal(
        [
            "1 | - 1.5 | s:u1 | s:a s:b",
            "0 | 2.5 - | - | -",
            "0 | 3 7 | s:u3 | -",
        ], read.Select(Describe));
    }

    [Fact]
    public void ColumnsOutsideTheSchemaAreIgnoredAndIntegerColumnsOfAnyWidthFeedSparseFeatures()
    {
        var file = WriteColumns(
            new Column[] { new Column<string>("comment"), new Column<bool>("clicked"), new Column<long>("price"), new Column<int>("hour"), new Column<int?>("user_id"), new Column<long[]>("tags") },
            new[] { "ignored", "also ignored" },
            new[] { true, false },
            new long[] { 10, 20 },
            new[] { 1, 2 },
            new int?[] { -4, null },
            new[] { new long[] { 5, long.MinValue }, [] });

        var read = ReadAll(file, out _);

        Assert.Equal(["1 | 10 1 | i:-4 | i:5 i:-9223372036854775808", "0 | 20 2 | - | -"], read.Select(Describe));
    }

    [Fact]
    public void RowsWithAMissingOrNonBinaryLabelOrANonFiniteValueAreSkippedAndCounted()
    {
        var file = WriteColumns(
            new Column[] { new Column<double?>("clicked"), new Column<double?>("price"), new Column<double?>("hour"), new Column<long?>("user_id"), new Column<long[]>("tags") },
            new double?[] { 1, null, 2, 0, 0 },
            new double?[] { 1, 1, 1, double.NaN, 4 },
            new double?[] { 1, 1, 1, 1, 5 },
            new long?[] { 1, 2, 3, 4, 5 },
            new[] { new long[] { 1 }, [2], [3], [4], [5] });
        var reasons = new List<string>();

        var read = ReadAll(file, out var source, (name, error) => reasons.Add($"{name}:{error.Record}: {error.Kind}: {error.Reason}"));

        Assert.Equal(["1 | 1 1 | i:1 | i:1", "0 | 4 5 | i:5 | i:5"], read.Select(Describe));
        Assert.Equal(3, source.MalformedRows);
        Assert.Equal(5, source.RowsRead);
        Assert.Equal(
        [
            "day0.parquet:2: MissingLabel: the label 'clicked' is missing",
            "day0.parquet:3: BadLabel: the label 'clicked' is 2, not 0 or 1",
            "day0.parquet:4: NonFiniteDense: dense feature 'price' is NaN, not a finite number",
        ], reasons);
    }

    [Fact]
    public void AColumnOfTheWrongTypeIsRefusedWithOneLineNamingIt()
    {
        var file = WriteColumns(
            new Column[] { new Column<int>("clicked"), new Column<string>("price"), new Column<double>("hour"), new Column<long>("user_id"), new Column<long[]>("tags") },
            new[] { 1 }, new[] { "cheap" }, new[] { 1.0 }, new[] { 1L }, new[] { new long[] { 1 } });

        var error = Assert.Throws<InvalidDataException>(() => new ParquetEventSource(Schema, new MemoryStream(file), "day0.parquet"));

        Assert.Equal("day0.parquet: column 'price' (a dense feature) is byte_array (String); a dense feature needs a double, float, int32 or int64 column.", error.Message);
    }

    [Fact]
    public void AListColumnForASingleValuedFeatureIsRefused()
    {
        var file = WriteColumns(
            new Column[] { new Column<int>("clicked"), new Column<double>("price"), new Column<double>("hour"), new Column<long[]>("user_id"), new Column<long[]>("tags") },
            new[] { 1 }, new[] { 1.0 }, new[] { 1.0 }, new[] { new long[] { 1 } }, new[] { new long[] { 1 } });

        var error = Assert.Throws<InvalidDataException>(() => new ParquetEventSource(Schema, new MemoryStream(file), "day0.parquet"));

        Assert.StartsWith("day0.parquet: column 'user_id' (a sparse feature) is a list (list of int64", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void AMissingColumnIsRefusedNamingItAndTheColumnsThere()
    {
        var file = WriteColumns(
            new Column[] { new Column<int>("clicked"), new Column<double>("price"), new Column<long>("user_id"), new Column<long[]>("tags") },
            new[] { 1 }, new[] { 1.0 }, new[] { 1L }, new[] { new long[] { 1 } });

        var error = Assert.Throws<InvalidDataException>(() => new ParquetEventSource(Schema, new MemoryStream(file), "day0.parquet"));

        Assert.Equal("day0.parquet has no column 'hour' (a dense feature); its columns are clicked, price, user_id, tags.", error.Message);
    }

    [Fact]
    public void AFileThatIsNotParquetIsRefusedWithOneLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => new ParquetEventSource(Schema, new MemoryStream("label\tI1\n"u8.ToArray()), "day0.parquet"));

        Assert.StartsWith("day0.parquet is not a readable Parquet file", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void SkippingRowsResumesMidRowGroupWithTheRowsAfterThem()
    {
        var written = Events(2_500, seed: 2);
        var file = Write(written, rowGroupRows: 1_000);

        using var source = new ParquetEventSource(Schema, new MemoryStream(file), "day0.parquet", skipRows: 1_700);
        var read = Drain(source, Schema);

        Assert.Equal(written.Skip(1_700).Select(Describe), read.Select(Describe));
        Assert.Equal(2_500, source.RowsRead);
    }

    [Fact]
    public void RowsAreCountedFromTheFooter()
    {
        var file = Write(Events(1_234, seed: 3), rowGroupRows: 500);

        Assert.Equal(1_234, ParquetEventSource.CountRows(new MemoryStream(file), "day0.parquet"));
    }

    [Fact]
    public void AFeatureWithIntegerAndStringValuesCannotBeWritten()
    {
        var first = new ClickEvent(Schema);
        first.AddInteger(0, 1);
        var second = new ClickEvent(Schema);
        second.AddString(0, "u2");
        using var writer = new ParquetEventWriter(new MemoryStream(), Schema);
        writer.Write(first);

        var error = Assert.Throws<ArgumentException>(() => writer.Write(second));

        Assert.Equal("Sparse feature 'user_id' has both integer and string values; its Parquet column holds integers only.", error.Message);
    }

    private static List<ClickEvent> Events(int count, int seed)
    {
        var random = new RandomEvents(Schema, seed);
        return Enumerable.Range(0, count).Select(_ => random.Next()).ToList();
    }

    private static byte[] Write(IEnumerable<ClickEvent> events, int rowGroupRows)
    {
        var stream = new MemoryStream();
        using (var writer = new ParquetEventWriter(stream, Schema, rowGroupRows, leaveOpen: true))
            foreach (var e in events) writer.Write(e);
        return stream.ToArray();
    }

    /// <summary>A one-row-group file with these columns and, in order, each column's cells.</summary>
    private static byte[] WriteColumns(Column[] columns, params Array[] cells)
    {
        var stream = new MemoryStream();
        using (var file = new ParquetFileWriter(stream, columns, compression: Compression.Snappy, leaveOpen: true))
        {
            using var group = file.AppendRowGroup();
            foreach (var column in cells)
            {
                using var writer = group.NextColumn().LogicalWriter();
                writer.Apply(new BatchWriter(column));
            }
            file.Close();
        }
        return stream.ToArray();
    }

    private sealed class BatchWriter(Array cells) : ILogicalColumnWriterVisitor<bool>
    {
        public bool OnLogicalColumnWriter<TValue>(LogicalColumnWriter<TValue> writer)
        {
            writer.WriteBatch((TValue[])cells);
            return true;
        }
    }

    private static List<ClickEvent> ReadAll(byte[] file, out ParquetEventSource source, Action<string, EventReadError>? malformed = null)
    {
        source = new ParquetEventSource(Schema, new MemoryStream(file), "day0.parquet");
        if (malformed is not null) source.Malformed += malformed;
        using (source) return Drain(source, Schema);
    }

    /// <summary>Every event left in <paramref name="source"/>, each a copy.</summary>
    internal static List<ClickEvent> Drain(IClickEventSource source, FeatureSchema schema)
    {
        var events = new List<ClickEvent>();
        var e = new ClickEvent(schema);
        while (source.TryRead(e, out _))
        {
            var copy = new ClickEvent(schema);
            e.CopyTo(copy);
            events.Add(copy);
        }
        return events;
    }

    /// <summary>"label | dense values | sparse feature 0 | sparse feature 1 ...", "-" for missing, i: and s: for value kinds.</summary>
    internal static string Describe(ClickEvent e)
    {
        var parts = new List<string> { e.Label ? "1" : "0" };
        parts.Add(string.Join(" ", e.Dense.Select(d => d is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "-")));
        for (int j = 0; j < e.Schema.Sparse.Count; j++)
        {
            var values = Enumerable.Range(0, e.CountOf(j))
                .Select(i => e.ValueOf(j, i) is var v && v.Kind == SparseValueKind.Integer ? $"i:{v.Integer}" : "s:" + v.ToString()).ToList();
            parts.Add(values.Count == 0 ? "-" : string.Join(" ", values));
        }
        return string.Join(" | ", parts);
    }
}
