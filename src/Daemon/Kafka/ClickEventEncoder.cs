using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recurring.Core.Data;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// The wire format of a click event on the topic, as Kafka:Format names it: one canonical Criteo TSV line in UTF-8
/// without its '\n' (<see cref="CriteoLineParser"/>), or one flat JSON object (<see cref="JsonEventWriter"/>). The key
/// of a synthetic event is its event index as 8 big-endian bytes: a replayed event lands on the same partition, and a
/// consumer can ask the generator for the event's true click probability to compare the model with the best possible
/// one. Events from elsewhere may have any key or none.
/// </summary>
public sealed class ClickEventEncoder : IDisposable
{
    private const int KeyBytes = sizeof(long);

    private readonly KafkaEventFormat _format;
    private readonly MemoryStream _line = new();
    private readonly CriteoTsvWriter _tsv;
    private readonly ArrayBufferWriter<byte> _json = new();
    private readonly Utf8JsonWriter _jsonWriter;
    private readonly ClickEvent _event;
    private readonly CriteoRecord _record = new();

    /// <summary>Criteo TSV lines under the Criteo preset's names.</summary>
    public ClickEventEncoder() : this(KafkaEventFormat.CriteoTsv, FeatureSchema.Criteo())
    {
    }

    /// <param name="schema">Names the fields of a JSON event; Criteo TSV needs Criteo's layout.</param>
    public ClickEventEncoder(KafkaEventFormat format, FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (format == KafkaEventFormat.CriteoTsv && !schema.HasCriteoLayout)
            throw new ArgumentException("Criteo TSV lines only carry a schema with Criteo's layout (13 dense, 26 single-valued sparse features).", nameof(schema));
        _format = format;
        _event = new ClickEvent(schema);
        _tsv = new CriteoTsvWriter(_line, leaveOpen: true);
        // Non-ASCII text as UTF-8 rather than \u escapes: smaller messages, read back the same.
        _jsonWriter = new Utf8JsonWriter(_json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>A record of a generator with Criteo's layout, under the schema's names when the format is JSON.</summary>
    /// <exception cref="ArgumentException">A dense value is NaN or infinite, which neither format carries.</exception>
    public byte[] Encode(CriteoRecord record)
    {
        if (_format == KafkaEventFormat.CriteoTsv) return EncodeTsv(record);
        _event.SetFrom(record);
        return EncodeJson(_event);
    }

    /// <exception cref="ArgumentException">A dense value is NaN or infinite; or, for Criteo TSV, a sparse value is a string.</exception>
    public byte[] Encode(ClickEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_format == KafkaEventFormat.Json) return EncodeJson(e);
        _record.SetFrom(e);
        return EncodeTsv(_record);
    }

    private byte[] EncodeTsv(CriteoRecord record)
    {
        _line.SetLength(0);
        _tsv.Write(record);
        _tsv.Flush();
        return _line.GetBuffer().AsSpan(0, (int)_line.Length - 1).ToArray();
    }

    private byte[] EncodeJson(ClickEvent e)
    {
        _json.ResetWrittenCount();
        _jsonWriter.Reset();
        JsonEventWriter.Write(e, _jsonWriter);
        _jsonWriter.Flush();
        return _json.WrittenSpan.ToArray();
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
        _jsonWriter.Dispose();
        _tsv.Dispose();
        _line.Dispose();
    }
}
