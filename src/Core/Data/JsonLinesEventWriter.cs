using System.Buffers;
using System.Text.Json;

namespace Recurring.Core.Data;

/// <summary>
/// Writes events as JSON lines: each event one <see cref="JsonEventWriter"/> object on a line of its own, the file
/// <see cref="EventLineReader"/> with a <see cref="JsonEventParser"/> reads back to equal events. Output is buffered
/// until <see cref="Dispose"/>, or 64 KiB.
/// </summary>
public sealed class JsonLinesEventWriter : IEventWriter
{
    private const int FlushBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes * 2);
    private readonly Utf8JsonWriter _json;
    private bool _disposed;

    public JsonLinesEventWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <exception cref="ArgumentException">A dense value is NaN or infinite, which JSON cannot carry.</exception>
    public void Write(ClickEvent e)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        JsonEventWriter.Write(e, _json);
        _json.Flush();
        // A new top-level value for the next line.
        _json.Reset();
        _buffer.Write("\n"u8);
        if (_buffer.WrittenCount >= FlushBytes) WriteBuffer();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        WriteBuffer();
        _stream.Flush();
        _json.Dispose();
        if (!_leaveOpen) _stream.Dispose();
    }

    private void WriteBuffer()
    {
        _stream.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }
}
