using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Recurring.Core.Data;

/// <summary>
/// Writes records as canonical Criteo TSV, which <see cref="CriteoLineParser"/> reads back bit for bit: missing
/// values are empty fields; dense values are plain integers when integral, else the shortest round-trip form;
/// categoricals are lowercase hex, 8 digits when the value fits in 32 bits, else 16; lines end with '\n'.
/// Output is buffered until <see cref="Flush"/> or <see cref="Dispose"/>.
/// </summary>
public sealed class CriteoTsvWriter : IEventWriter
{
    private const int BufferBytes = 1 << 16;

    private const double TwoToThe63 = 9223372036854775808.0;

    // Exactly one of these is set.
    private readonly Stream? _stream;
    private readonly TextWriter? _text;
    private readonly bool _leaveOpen;
    private byte[]? _buffer;
    private int _length;
    private CriteoRecord? _record;

    public CriteoTsvWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    }

    public CriteoTsvWriter(TextWriter writer, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _text = writer;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    }

    /// <exception cref="ArgumentException">A dense value is NaN or infinite, which no Criteo line can carry.</exception>
    public void Write(CriteoRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = _buffer;
        ObjectDisposedException.ThrowIf(buffer is null, this);
        for (int i = 0; i < CriteoRecord.DenseCount; i++)
        {
            if (record.Dense[i] is { } value && !double.IsFinite(value))
                throw new ArgumentException($"Dense I{i + 1} is {value}; Criteo TSV carries finite numbers only.", nameof(record));
        }

        if (!TryFormat(record, buffer.AsSpan(_length), out int written))
        {
            WriteBuffer(buffer);
            if (!TryFormat(record, buffer.AsSpan(_length), out written))
                throw new UnreachableException("A Criteo line takes well under 1 KiB and the empty buffer holds 64 KiB.");
        }
        _length += written;
    }

    /// <summary>
    /// Writes an event of a schema with Criteo's layout, whose sparse values are integers (a categorical's 64 bits).
    /// </summary>
    /// <exception cref="ArgumentException">Another layout, a string value, or a non-finite dense value.</exception>
    public void Write(ClickEvent e)
    {
        var record = _record ??= new CriteoRecord();
        record.SetFrom(e);
        Write(record);
    }

    /// <summary>Writes everything buffered and flushes the underlying stream or writer.</summary>
    public void Flush()
    {
        var buffer = _buffer;
        ObjectDisposedException.ThrowIf(buffer is null, this);
        WriteBuffer(buffer);
        _stream?.Flush();
        _text?.Flush();
    }

    public void Dispose()
    {
        if (_buffer is null) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        if (_leaveOpen) return;
        _stream?.Dispose();
        _text?.Dispose();
    }

    private void WriteBuffer(byte[] buffer)
    {
        if (_stream is not null)
        {
            _stream.Write(buffer, 0, _length);
        }
        else
        {
            // Every byte written is ASCII, so ASCII is the exact text of the line.
            var chars = ArrayPool<char>.Shared.Rent(_length);
            int count = Encoding.ASCII.GetChars(buffer, 0, _length, chars, 0);
            _text!.Write(chars, 0, count);
            ArrayPool<char>.Shared.Return(chars);
        }
        _length = 0;
    }

    private static bool TryFormat(CriteoRecord record, Span<byte> destination, out int written)
    {
        written = 0;
        if (!TryAppend(destination, ref written, record.Label ? "1"u8 : "0"u8)) return false;
        foreach (var value in record.Dense)
        {
            if (!TryAppend(destination, ref written, "\t"u8)) return false;
            if (value is { } present && !TryAppendDense(destination, ref written, present)) return false;
        }
        foreach (var value in record.Categorical)
        {
            if (!TryAppend(destination, ref written, "\t"u8)) return false;
            if (value is { } present && !TryAppendHex(destination, ref written, present)) return false;
        }
        return TryAppend(destination, ref written, "\n"u8);
    }

    private static bool TryAppend(Span<byte> destination, ref int written, ReadOnlySpan<byte> text)
    {
        if (!text.TryCopyTo(destination[written..])) return false;
        written += text.Length;
        return true;
    }

    private static bool TryAppendDense(Span<byte> destination, ref int written, double value)
    {
        int count;
        bool formatted = PrintsAsInteger(value)
            ? ((long)value).TryFormat(destination[written..], out count, default, CultureInfo.InvariantCulture)
            : value.TryFormat(destination[written..], out count, "R", CultureInfo.InvariantCulture);
        written += count;
        return formatted;
    }

    /// <summary>
    /// Integral values within long range print as integers, exactly (the decimal of an integral double parses back
    /// to that double). Negative zero goes through "R" ("-0") so its sign survives the round trip.
    /// </summary>
    private static bool PrintsAsInteger(double value) =>
        double.IsInteger(value) && Math.Abs(value) < TwoToThe63 && !(value == 0 && double.IsNegative(value));

    private static bool TryAppendHex(Span<byte> destination, ref int written, ulong value)
    {
        bool formatted = value.TryFormat(destination[written..], out int count, value <= uint.MaxValue ? "x8" : "x16", CultureInfo.InvariantCulture);
        written += count;
        return formatted;
    }
}
