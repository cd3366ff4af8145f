using System.Buffers.Binary;
using Recurring.Core.Data;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// The wire format of a click event on the topic. The value is one canonical Criteo TSV line in UTF-8 without
/// its '\n', which <see cref="CriteoLineParser"/> reads as is. The key of a synthetic event is its event index as
/// 8 big-endian bytes: a replayed event lands on the same partition, and a consumer can ask the generator for the
/// event's true click probability to compare the model with the best possible one. Events from elsewhere may have
/// any key or none.
/// </summary>
public sealed class ClickEventEncoder : IDisposable
{
    private const int KeyBytes = sizeof(long);

    private readonly MemoryStream _line = new();
    private readonly CriteoTsvWriter _writer;

    public ClickEventEncoder() => _writer = new CriteoTsvWriter(_line, leaveOpen: true);

    /// <exception cref="ArgumentException">A dense value is NaN or infinite, which no Criteo line can carry.</exception>
    public byte[] Encode(CriteoRecord record)
    {
        _line.SetLength(0);
        _writer.Write(record);
        _writer.Flush();
        return _line.GetBuffer().AsSpan(0, (int)_line.Length - 1).ToArray();
    }

    public static byte[] EventIndexKey(long eventIndex)
    {
        var key = new byte[KeyBytes];
        BinaryPrimitives.WriteInt64BigEndian(key, eventIndex);
        return key;
    }

    /// <summary>False for keys that are not an event index: null, another length, or negative.</summary>
    public static bool TryReadEventIndex(ReadOnlySpan<byte> key, out long eventIndex)
    {
        eventIndex = key.Length == KeyBytes ? BinaryPrimitives.ReadInt64BigEndian(key) : -1;
        return eventIndex >= 0;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _line.Dispose();
    }
}
