namespace Recurring.Core.Data;

/// <summary>How a file holds events.</summary>
public enum EventFileFormat
{
    /// <summary>Criteo's TSV layout, one event per line: only for a schema with Criteo's layout.</summary>
    CriteoTsv,

    /// <summary>One JSON event per line, as on a Kafka topic (<see cref="JsonEventParser"/>).</summary>
    JsonLines,

    /// <summary>Columns named after the schema's fields (<see cref="ParquetEventSource"/>).</summary>
    Parquet,
}

/// <summary>One input file: a name (for positions and messages), its format and a way to open it.</summary>
public sealed record EventFile(string Name, EventFileFormat Format, Func<Stream> Open)
{
    /// <summary>The format a file's extension names (.tsv, .jsonl, .parquet, any case), or null for any other.</summary>
    public static EventFileFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".tsv" => EventFileFormat.CriteoTsv,
        ".jsonl" => EventFileFormat.JsonLines,
        ".parquet" => EventFileFormat.Parquet,
        _ => null,
    };
}

/// <summary>
/// Where reading stands, whatever the format: the file, the byte offset of its next line (line formats; 0 for
/// Parquet, which resumes by row number, skipping whole row groups), and the records (lines or rows) of that file
/// consumed before it.
/// </summary>
public sealed record EventFilePosition(string Name, long Offset, long Records);

/// <summary>
/// Training events from files of one format read one after another. Malformed records never end the run: they are
/// reported through <see cref="Malformed"/> and counted, and reading goes on. <see cref="Position"/> is exact, so a
/// checkpoint can resume from it.
/// </summary>
public sealed class EventFileSource : IClickEventSource, IDisposable
{
    private readonly FeatureSchema _schema;
    private readonly IReadOnlyList<EventFile> _files;
    private readonly long _maxRecords;
    private IEventParser? _criteo;
    private IEventParser? _json;
    private int _file;
    private IEventFileReader? _reader;
    private ClickEvent? _scratch;

    /// <param name="start">Where to begin (null: the start of the first file).</param>
    /// <param name="maxRecords">Stop after this many records, good or bad (for a held-out tail).</param>
    public EventFileSource(FeatureSchema schema, IReadOnlyList<EventFile> files, EventFilePosition? start = null, long maxRecords = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schema = schema;
        _files = files;
        _maxRecords = maxRecords;
        if (start is not null)
        {
            _file = IndexOf(start.Name);
            _reader = Open(_files[_file], start.Offset, start.Records);
        }
    }

    /// <summary>Told about each malformed record: the file's name and the error.</summary>
    public event Action<string, EventReadError>? Malformed;

    public long MalformedRecords { get; private set; }

    /// <summary>Records consumed by this source, good or bad.</summary>
    public long RecordsRead { get; private set; }

    public EventFilePosition Position => _file >= _files.Count
        ? new EventFilePosition(_files.Count > 0 ? _files[^1].Name : "", 0, 0)
        : new EventFilePosition(_files[_file].Name, _reader?.Offset ?? 0, _reader?.Records ?? 0);

    /// <summary>Reads the next well-formed event into <paramref name="into"/>, an event of the source's schema.</summary>
    public bool TryRead(ClickEvent into, out double trueProbability)
    {
        trueProbability = double.NaN;
        while (true)
        {
            var status = ReadRecord(into, out var error);
            if (status == EventReadStatus.EndOfStream) return false;
            if (status == EventReadStatus.Event) return true;
            MalformedRecords++;
            Malformed?.Invoke(_files[_file].Name, error);
        }
    }

    /// <summary>Skips records, good or bad, without reporting them (to reach a held-out tail).</summary>
    public void SkipRecords(long records)
    {
        _scratch ??= new ClickEvent(_schema);
        for (long i = 0; i < records && ReadRecord(_scratch, out _) != EventReadStatus.EndOfStream; i++)
        {
        }
    }

    /// <summary>Counts the records of all files (lines in one fast pass; Parquet rows from the footers), to split off a held-out tail.</summary>
    public static long CountRecords(IReadOnlyList<EventFile> files)
    {
        long records = 0;
        var buffer = new byte[1 << 16];
        foreach (var file in files)
        {
            if (file.Format == EventFileFormat.Parquet)
            {
                records += ParquetEventSource.CountRows(file.Open(), file.Name);
                continue;
            }
            using var stream = file.Open();
            int read;
            byte last = (byte)'\n';
            while ((read = stream.Read(buffer)) > 0)
            {
                records += buffer.AsSpan(0, read).Count((byte)'\n');
                last = buffer[read - 1];
            }
            if (last != '\n') records++;
        }
        return records;
    }

    private EventReadStatus ReadRecord(ClickEvent into, out EventReadError error)
    {
        error = default;
        while (RecordsRead < _maxRecords && _file < _files.Count)
        {
            _reader ??= Open(_files[_file], 0, 0);
            var status = _reader.Read(into, out error);
            if (status != EventReadStatus.EndOfStream)
            {
                RecordsRead++;
                return status;
            }
            _reader.Dispose();
            _reader = null;
            _file++;
        }
        return EventReadStatus.EndOfStream;
    }

    private IEventFileReader Open(EventFile file, long offset, long records) => file.Format switch
    {
        EventFileFormat.CriteoTsv => new EventLineReader(file.Open(), _criteo ??= new CriteoEventParser(_schema), offset, records + 1),
        EventFileFormat.JsonLines => new EventLineReader(file.Open(), _json ??= new JsonEventParser(_schema), offset, records + 1),
        _ => new ParquetEventSource(_schema, file.Open(), file.Name, skipRows: records),
    };

    private int IndexOf(string name)
    {
        for (int i = 0; i < _files.Count; i++)
            if (_files[i].Name == name) return i;
        throw new ArgumentException($"The resume position names '{name}', which is not among the inputs.");
    }

    public void Dispose() => _reader?.Dispose();
}
