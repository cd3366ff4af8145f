using Recurring.Core.Training;

namespace Recurring.Core.Data;

/// <summary>One Criteo TSV input: a name (for positions and errors) and a way to open it.</summary>
public sealed record TsvInput(string Name, Func<Stream> Open);

/// <summary>Where reading stands: the input, the byte offset of its next line, and that line's number minus one.</summary>
public sealed record TsvPosition(string Name, long Offset, long LineNumber);

/// <summary>
/// Training events from Criteo TSV inputs read one after another. Malformed lines never end the run: they are
/// reported through <see cref="Malformed"/> and counted, and reading goes on. <see cref="Position"/> is exact, so a
/// checkpoint can resume from it.
/// </summary>
public sealed class TsvEventSource : IClickEventSource, IDisposable
{
    private readonly IReadOnlyList<TsvInput> _inputs;
    private readonly long _maxLines;
    private int _input;
    private CriteoTsvReader? _reader;
    private long _linesRead;

    /// <param name="start">Where to begin (null: the start of the first input).</param>
    /// <param name="maxLines">Stop after this many lines, good or bad (for a held-out tail).</param>
    public TsvEventSource(IReadOnlyList<TsvInput> inputs, TsvPosition? start = null, long maxLines = long.MaxValue)
    {
        _inputs = inputs;
        _maxLines = maxLines;
        if (start is not null)
        {
            _input = IndexOf(start.Name);
            _reader = new CriteoTsvReader(_inputs[_input].Open(), start.Offset, start.LineNumber + 1);
        }
    }

    public event Action<string, CriteoParseError>? Malformed;

    public long MalformedLines { get; private set; }

    /// <summary>Lines consumed by this source, good or bad.</summary>
    public long LinesRead => _linesRead;

    public TsvPosition Position => _input >= _inputs.Count
        ? new TsvPosition(_inputs.Count > 0 ? _inputs[^1].Name : "", 0, 0)
        : new TsvPosition(_inputs[_input].Name, _reader?.Offset ?? 0, _reader?.LineNumber ?? 0);

    public bool TryRead(CriteoRecord into, out double trueProbability)
    {
        trueProbability = double.NaN;
        while (true)
        {
            var status = ReadLine(into, out var error);
            if (status == CriteoReadStatus.EndOfStream) return false;
            if (status == CriteoReadStatus.Record) return true;
            MalformedLines++;
            Malformed?.Invoke(_inputs[_input].Name, error);
        }
    }

    /// <summary>Skips lines, good or bad, without reporting them (to reach a held-out tail).</summary>
    public void SkipLines(long lines)
    {
        var scratch = new CriteoRecord();
        for (long i = 0; i < lines && ReadLine(scratch, out _) != CriteoReadStatus.EndOfStream; i++)
        {
        }
    }

    /// <summary>Counts the lines of all inputs in one fast pass, to split off a held-out tail.</summary>
    public static long CountLines(IReadOnlyList<TsvInput> inputs)
    {
        long lines = 0;
        var buffer = new byte[1 << 16];
        foreach (var input in inputs)
        {
            using var stream = input.Open();
            int read;
            byte last = (byte)'\n';
            while ((read = stream.Read(buffer)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
                last = buffer[read - 1];
            }
            if (last != '\n') lines++;
        }
        return lines;
    }

    private CriteoReadStatus ReadLine(CriteoRecord into, out CriteoParseError error)
    {
        error = default;
        while (_linesRead < _maxLines && _input < _inputs.Count)
        {
            _reader ??= new CriteoTsvReader(_inputs[_input].Open());
            var status = _reader.Read(into, out error);
            if (status != CriteoReadStatus.EndOfStream)
            {
                _linesRead++;
                return status;
            }
            _reader.Dispose();
            _reader = null;
            _input++;
        }
        return CriteoReadStatus.EndOfStream;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _inputs.Count; i++)
            if (_inputs[i].Name == name) return i;
        throw new ArgumentException($"The resume position names '{name}', which is not among the inputs.");
    }

    public void Dispose() => _reader?.Dispose();
}
