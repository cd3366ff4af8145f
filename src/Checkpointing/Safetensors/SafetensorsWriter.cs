using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Safetensors;

/// <summary>
/// Writes tensors in the safetensors layout (8-byte little-endian header length, JSON header, tightly packed data)
/// straight from tensor memory to a stream, a bounded slice at a time, so saving never holds a second copy of the
/// model: a host tensor's bytes are written in place, a GPU tensor is copied to the host one slice at a time.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Bytes per slice: bounds the host copy a GPU tensor needs and keeps every span under 2 GiB.</summary>
    public const long DefaultChunkBytes = TensorBytes.DefaultChunkBytes;

    public const string MetadataKey = "__metadata__";

    public static void Write(
        Stream destination,
        IReadOnlyList<(string Name, Tensor Value)> tensors,
        IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken,
        long chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        var header = Header(tensors, metadata);
        Span<byte> length = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        destination.Write(length);
        destination.Write(header);
        foreach (var (_, value) in tensors) TensorBytes.Write(destination, value, cancellationToken, chunkBytes);
    }

    private static byte[] Header(IReadOnlyList<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata.Count > 0)
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, value) in tensors)
            {
                if (name == MetadataKey || !names.Add(name)) throw new ArgumentException($"Tensor name '{name}' is reserved or used twice.", nameof(tensors));
                long bytes = value.numel() * SafetensorsDType.SizeOf(value.dtype);
                writer.WriteStartObject(name);
                writer.WriteString("dtype", SafetensorsDType.NameOf(value.dtype));
                writer.WriteStartArray("shape");
                foreach (var size in value.shape) writer.WriteNumberValue(size);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            writer.WriteEndObject();
        }
        // Space-padding the header to a multiple of 8 starts the data 8-byte aligned, as the reference writer does,
        // so a reader can map the file and view every tensor in place.
        var header = new byte[(json.WrittenCount + 7) / 8 * 8];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }
}
