using System.Buffers;

namespace Recurring.Core.Data;

/// <summary>
/// Streams events, one per line (Criteo TSV, JSON lines), from a <see cref="Stream"/> in constant memory: one pooled
/// buffer of <c>maxLineBytes</c> plus one read chunk, whatever the size of the input. Each line is handed to an
/// <see cref="IEventParser"/>. Lines end with '\n' ('\r\n' works too); a last line without one is still read.
/// </summary>
public sealed class EventLineReader : IEventFileReader
{
    private const int ChunkBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly IEventParser _parser;
    private readonly bool _leaveOpen;
    private readonly int _maxLineBytes;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;

    /// <param name="parser">Turns one line (without its line end) into an event.</param>
    /// <param name="stream">The input. A seekable stream is positioned at <paramref name="startOffset"/>; any
    /// other is taken to be there already.</param>
    /// <param name="startOffset">Byte offset of the first line to read, typically a checkpointed <see cref="Offset"/>.</param>
    /// <param name="firstLineNumber">Number of that line, for error reports (1-based).</param>
    /// <param name="maxLineBytes">Longest line accepted, not counting its '\n'; longer ones are skipped.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    public EventLineReader(Stream stream, IEventParser parser, long startOffset = 0, long firstLineNumber = 1, int maxLineBytes = 65536, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstLineNumber, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineBytes, Array.MaxLength - ChunkBytes);
        if (!stream.CanRead) throw new ArgumentException("The stream is not readable.", nameof(stream));
        if (stream.CanSeek) stream.Seek(startOffset, SeekOrigin.Begin);

        _stream = stream;
        _parser = parser;
        _leaveOpen = leaveOpen;
        _maxLineBytes = maxLineBytes;
        // Room for a whole line plus a full chunk, so every read from the stream is a large one.
        _buffer = ArrayPool<byte>.Shared.Rent(maxLineBytes + ChunkBytes);
        Offset = startOffset;
        LineNumber = firstLineNumber - 1;
    }

    /// <summary>
    /// Byte offset where the next unread line starts. A reader constructed with this as its start offset (and
    /// <see cref="LineNumber"/> + 1 as its first line number) continues exactly where this one stopped.
    /// </summary>
    public long Offset { get; private set; }

    /// <summary>Number of the line last returned, as a record or an error.</summary>
    public long LineNumber { get; private set; }

    long IEventFileReader.Records => LineNumber;

    /// <summary>
    /// Reads the next line into <paramref name="into"/>, an event of the parser's schema. Returns
    /// <see cref="EventReadStatus.Error"/> with <paramref name="error"/> set for a malformed or overlong line; reading
    /// may go on after it.
    /// </summary>
    public EventReadStatus Read(ClickEvent into, out EventReadError error)
    {
        ArgumentNullException.ThrowIfNull(into);
        var buffer = _buffer;
        ObjectDisposedException.ThrowIf(buffer is null, this);
        while (true)
        {
            var pending = new ReadOnlySpan<byte>(buffer, _start, _end - _start);
            int newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                Consume(newline + 1);
                return Deliver(pending[..newline], into, out error);
            }
            if (pending.Length > _maxLineBytes) return SkipOverlongLine(buffer, out error);
            if (_endOfStream)
            {
                if (pending.IsEmpty)
                {
                    error = default;
                    return EventReadStatus.EndOfStream;
                }
                Consume(pending.Length);
                return Deliver(pending, into, out error);
            }
            Fill(buffer);
        }
    }

    public void Dispose()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        if (!_leaveOpen) _stream.Dispose();
    }

    private EventReadStatus Deliver(ReadOnlySpan<byte> line, ClickEvent into, out EventReadError error)
    {
        LineNumber++;
        if (line.Length > _maxLineBytes)
        {
            error = TooLong(line.Length);
            return EventReadStatus.Error;
        }
        if (_parser.TryParse(line, into, out var kind, out var reason))
        {
            error = default;
            return EventReadStatus.Event;
        }
        error = new EventReadError(LineNumber, kind, reason ?? kind.ToString());
        return EventReadStatus.Error;
    }

    /// <summary>Discards the current line chunk by chunk up to its '\n' (or the end), never holding it whole.</summary>
    private EventReadStatus SkipOverlongLine(byte[] buffer, out EventReadError error)
    {
        long lineBytes = 0;
        while (true)
        {
            var pending = new ReadOnlySpan<byte>(buffer, _start, _end - _start);
            int newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                lineBytes += newline;
                Consume(newline + 1);
                break;
            }
            lineBytes += pending.Length;
            Consume(pending.Length);
            if (_endOfStream) break;
            Fill(buffer);
        }
        LineNumber++;
        error = TooLong(lineBytes);
        return EventReadStatus.Error;
    }

    private EventReadError TooLong(long lineBytes) =>
        new(LineNumber, EventErrorKind.LineTooLong, $"line is {lineBytes} bytes long, over the {_maxLineBytes}-byte limit");

    private void Consume(int bytes)
    {
        _start += bytes;
        Offset += bytes;
    }

    /// <summary>Moves the unfinished line to the front of the buffer and appends what the stream gives.</summary>
    private void Fill(byte[] buffer)
    {
        int pending = _end - _start;
        buffer.AsSpan(_start, pending).CopyTo(buffer);
        _start = 0;
        _end = pending;
        int read = _stream.Read(buffer, _end, buffer.Length - _end);
        if (read == 0) _endOfStream = true;
        else _end += read;
    }
}
