using ParquetSharp;

namespace Recurring.Core.Data;

/// <summary>
/// Training events from one Parquet file, columns matched to a <see cref="FeatureSchema"/> by field name: the label
/// (boolean, or an integer or floating-point 0/1), dense features (double, float, int32 or int64; null is missing),
/// sparse features (int32 or int64 ids, or strings; null is missing) and multi-valued sparse features (list columns
/// of those; a null list or null element is no value). Other columns are ignored. A missing required column or one
/// of an unusable type is refused when the file is opened, with one line naming the column.
/// <para>
/// Reads row group by row group, each column in batches of values (levels and values into reused buffers; strings
/// are handed on as the UTF-8 bytes of the page, never as .NET strings). A row with a missing or non-0/1 label or a
/// non-finite dense value is an error (<see cref="Read"/>); <see cref="TryRead"/> skips it, counts it and reports it
/// through <see cref="Malformed"/>, and reading goes on.
/// </para>
/// </summary>
public sealed class ParquetEventSource : IClickEventSource, IEventFileReader
{
    private readonly string _name;
    private readonly ParquetFileReader _file;
    private readonly ParquetColumn[] _columns;
    private readonly int _rowGroups;
    private int _rowGroup = -1;
    private long _rowsLeftInGroup;
    private RowGroupReader? _group;

    /// <param name="stream">The file; disposed with this source.</param>
    /// <param name="name">The file's name, for messages.</param>
    /// <param name="skipRows">Rows to pass over first (to resume): whole row groups are skipped unread.</param>
    public ParquetEventSource(FeatureSchema schema, Stream stream, string name, long skipRows = 0)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfNegative(skipRows);
        _name = name;
        _file = Open(stream, name);
        try
        {
            _columns = ParquetColumn.Match(schema, _file.FileMetaData.Schema, name);
            _rowGroups = _file.FileMetaData.NumRowGroups;
            Skip(skipRows);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Told about each row <see cref="TryRead"/> skips: the file's name and the row's error.</summary>
    public event Action<string, EventReadError>? Malformed;

    /// <summary>Rows consumed from the start of the file, good or bad (skipped ones included).</summary>
    public long RowsRead { get; private set; }

    long IEventFileReader.Records => RowsRead;

    /// <summary>Always 0: a Parquet file resumes by row number.</summary>
    public long Offset => 0;

    public long MalformedRows { get; private set; }

    /// <summary>Rows in a Parquet file, from its footer alone.</summary>
    public static long CountRows(Stream stream, string name)
    {
        using var file = Open(stream, name);
        return file.FileMetaData.NumRows;
    }

    public bool TryRead(ClickEvent into, out double trueProbability)
    {
        trueProbability = double.NaN;
        while (true)
        {
            var status = Read(into, out var error);
            if (status == EventReadStatus.EndOfStream) return false;
            if (status == EventReadStatus.Event) return true;
            MalformedRows++;
            Malformed?.Invoke(_name, error);
        }
    }

    /// <summary>Reads the next row into <paramref name="into"/>; a malformed row is an error, and reading may go on after it.</summary>
    public EventReadStatus Read(ClickEvent into, out EventReadError error)
    {
        error = default;
        if (!NextRow()) return EventReadStatus.EndOfStream;
        var problem = ReadRow(into);
        RowsRead++;
        if (problem is not { } found) return EventReadStatus.Event;
        error = new EventReadError(RowsRead, found.Kind, found.Reason);
        return EventReadStatus.Error;
    }

    private (EventErrorKind Kind, string Reason)? ReadRow(ClickEvent into)
    {
        into.Clear();
        (EventErrorKind Kind, string Reason)? error = null;
        try
        {
            foreach (var column in _columns) column.ReadRow(into, ref error);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"{_name}: row {RowsRead + 1} cannot be read: {FirstLine(e.Message)}", e);
        }
        return error;
    }

    /// <summary>Moves to the next row, opening the next row group when this one is done; false at the end of the file.</summary>
    private bool NextRow()
    {
        while (_rowsLeftInGroup == 0)
        {
            if (!OpenRowGroup(_rowGroup + 1)) return false;
        }
        _rowsLeftInGroup--;
        return true;
    }

    private void Skip(long rows)
    {
        int group = 0;
        while (group < _rowGroups)
        {
            using var metadata = _file.RowGroup(group);
            long groupRows = metadata.MetaData.NumRows;
            if (rows < groupRows) break;
            rows -= groupRows;
            RowsRead += groupRows;
            group++;
        }
        _rowGroup = group - 1;
        if (rows == 0) return;
        if (!OpenRowGroup(group))
            throw new ArgumentException($"The resume position is past the end of {_name}.");
        var scratch = new ClickEvent(_columns[0].Schema);
        for (long i = 0; i < rows; i++)
        {
            _rowsLeftInGroup--;
            ReadRow(scratch);
            RowsRead++;
        }
    }

    private bool OpenRowGroup(int index)
    {
        CloseRowGroup();
        if (index >= _rowGroups) return false;
        _rowGroup = index;
        try
        {
            _group = _file.RowGroup(index);
            _rowsLeftInGroup = _group.MetaData.NumRows;
            foreach (var column in _columns) column.Open(_group);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"{_name}: row group {index} cannot be read: {FirstLine(e.Message)}", e);
        }
        return true;
    }

    private void CloseRowGroup()
    {
        foreach (var column in _columns) column.Close();
        _group?.Dispose();
        _group = null;
    }

    private static ParquetFileReader Open(Stream stream, string name)
    {
        try
        {
            return new ParquetFileReader(stream, leaveOpen: false);
        }
        catch (ParquetException e)
        {
            stream.Dispose();
            throw new InvalidDataException($"{name} is not a readable Parquet file: {FirstLine(e.Message)}", e);
        }
    }

    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    public void Dispose()
    {
        CloseRowGroup();
        _file.Dispose();
    }
}
