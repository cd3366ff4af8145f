using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Safetensors;

/// <summary>One tensor of a safetensors file: its data is bytes [Begin, End) after the header.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads a safetensors file front to back, validating its layout strictly before any tensor is read: a bounded header
/// length, a JSON object of known dtypes, shapes and offsets (plus an optional string-valued __metadata__), and data
/// that is tightly packed from offset 0 with each tensor exactly shape x dtype bytes long. Tensors are read in file
/// order, so the source may be a forward-only stream (one that hashes what passes through, for instance).
/// </summary>
public sealed class SafetensorsReader
{
    /// <summary>The reference implementation's bound; a longer header is treated as hostile.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly string[] EntryKeys = ["dtype", "shape", "data_offsets"];

    private readonly Stream _source;
    private long _position;

    private SafetensorsReader(Stream source, long headerBytes, IReadOnlyList<SafetensorsEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _source = source;
        HeaderBytes = headerBytes;
        Tensors = tensors;
        Metadata = metadata;
    }

    public long HeaderBytes { get; }

    /// <summary>Every tensor, in the order its data appears in the file.</summary>
    public IReadOnlyList<SafetensorsEntry> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public long DataBytes => Tensors.Count == 0 ? 0 : Tensors[^1].End;

    /// <summary>The size the header implies: nothing may follow the last tensor.</summary>
    public long FileLength => sizeof(ulong) + HeaderBytes + DataBytes;

    /// <summary>Reads and validates the header; throws <see cref="InvalidDataException"/> naming the first problem.</summary>
    public static SafetensorsReader Open(Stream source)
    {
        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        ReadExactly(source, prefix, "the header length");
        ulong headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerBytes is 0 or > MaxHeaderBytes)
            throw new InvalidDataException($"The header length {headerBytes} is outside 1..{MaxHeaderBytes}.");
        if (source.CanSeek && sizeof(ulong) + (long)headerBytes > source.Length)
            throw new InvalidDataException($"The header length {headerBytes} points past the end of the {source.Length}-byte file.");
        var header = new byte[headerBytes];
        ReadExactly(source, header, "the header");
        var (tensors, metadata) = ParseHeader(header);
        var reader = new SafetensorsReader(source, (long)headerBytes, tensors, metadata);
        if (source.CanSeek && source.Length != reader.FileLength)
            throw new InvalidDataException($"The file is {source.Length} bytes but its header describes {reader.FileLength}.");
        return reader;
    }

    /// <summary>Fills <paramref name="destination"/> (same dtype and shape, contiguous, on any device) in place.</summary>
    public void ReadInto(SafetensorsEntry entry, Tensor destination, CancellationToken cancellationToken, long chunkBytes = SafetensorsWriter.DefaultChunkBytes)
    {
        if (destination.dtype != entry.DType || !destination.shape.SequenceEqual(entry.Shape))
            throw new InvalidDataException($"{entry.Name} is {SafetensorsDType.NameOf(entry.DType)} [{string.Join(", ", entry.Shape)}], not the expected {SafetensorsDType.NameOf(destination.dtype)} [{string.Join(", ", destination.shape)}].");
        if (!destination.is_contiguous()) throw new ArgumentException($"The destination of {entry.Name} must be contiguous.", nameof(destination));
        if (entry.Begin < _position) throw new InvalidOperationException($"{entry.Name} lies behind the read position: read tensors in file order.");
        Skip(entry.Begin - _position);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var flat = destination.view(-1);
        long elements = flat.numel();
        long perChunk = Math.Max(1, chunkBytes / flat.element_size());
        for (long start = 0; start < elements; start += perChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var sliceScope = NewDisposeScope();
            var slice = flat.narrow(0, start, Math.Min(perChunk, elements - start));
            if (slice.device_type == DeviceType.CPU)
            {
                ReadExactly(_source, slice.bytes, entry.Name);
            }
            else
            {
                var staging = empty(slice.shape, slice.dtype, CPU);
                ReadExactly(_source, staging.bytes, entry.Name);
                slice.copy_(staging);
            }
        }
        _position = entry.End;
    }

    /// <summary>Reads a tensor into new memory on <paramref name="device"/>.</summary>
    public Tensor Read(SafetensorsEntry entry, Device device, CancellationToken cancellationToken)
    {
        var tensor = empty(entry.Shape, entry.DType, device);
        try
        {
            ReadInto(entry, tensor, cancellationToken);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private void Skip(long bytes)
    {
        var buffer = new byte[(int)Math.Min(bytes, 1 << 16)];
        for (long left = bytes; left > 0; left -= buffer.Length)
            ReadExactly(_source, buffer.AsSpan(0, (int)Math.Min(left, buffer.Length)), "skipped data");
        _position += bytes;
    }

    private static void ReadExactly(Stream source, Span<byte> into, string what)
    {
        try
        {
            source.ReadExactly(into);
        }
        catch (EndOfStreamException)
        {
            // A short file is a broken file, not a failing disk: never worth a retry.
            throw new InvalidDataException($"The file ends inside {what}.");
        }
    }

    private static (IReadOnlyList<SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata) ParseHeader(byte[] header)
    {
        if (header[0] != (byte)'{') throw new InvalidDataException("The header does not start with '{'.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("The header is not a JSON object.");
            var tensors = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw new InvalidDataException($"'{property.Name}' appears twice in the header.");
                if (property.Name == SafetensorsWriter.MetadataKey) ParseMetadata(property.Value, metadata);
                else tensors.Add(ParseEntry(property.Name, property.Value));
            }
            tensors.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            long expected = 0;
            foreach (var tensor in tensors)
            {
                if (tensor.Begin != expected)
                    throw new InvalidDataException($"{tensor.Name} starts at {tensor.Begin}, not {expected}: tensor data must be tightly packed.");
                expected = tensor.End;
            }
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> into)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not a JSON object.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"__metadata__.{item.Name} is not a string.");
            into[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name} is not a JSON object.");
        var keys = value.EnumerateObject().Select(p => p.Name).ToArray();
        if (keys.Length != EntryKeys.Length || !EntryKeys.All(keys.Contains))
            throw new InvalidDataException($"{name} must have exactly dtype, shape and data_offsets, not {string.Join(", ", keys)}.");

        var dtype = value.GetProperty("dtype");
        if (dtype.ValueKind != JsonValueKind.String || !SafetensorsDType.TryParse(dtype.GetString()!, out var type))
            throw new InvalidDataException($"{name} has an unknown dtype {dtype.GetRawText()}.");
        var shape = NonNegativeIntegers(value.GetProperty("shape"), name, "shape");
        var offsets = NonNegativeIntegers(value.GetProperty("data_offsets"), name, "data_offsets");
        if (offsets.Length != 2 || offsets[0] > offsets[1]) throw new InvalidDataException($"{name}'s data_offsets must be [begin, end] with begin <= end.");

        long expectedBytes;
        try
        {
            expectedBytes = checked(shape.Aggregate(1L, (product, size) => product * size) * SafetensorsDType.SizeOf(type));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{name}'s shape [{string.Join(", ", shape)}] is too large.");
        }
        if (offsets[1] - offsets[0] != expectedBytes)
            throw new InvalidDataException($"{name} spans {offsets[1] - offsets[0]} bytes but {SafetensorsDType.NameOf(type)} [{string.Join(", ", shape)}] needs {expectedBytes}.");
        return new SafetensorsEntry(name, type, shape, offsets[0], offsets[1]);
    }

    private static long[] NonNegativeIntegers(JsonElement value, string name, string field)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{name}'s {field} is not an array.");
        return value.EnumerateArray().Select(item =>
            item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out long number) && number >= 0
                ? number
                : throw new InvalidDataException($"{name}'s {field} holds {item.GetRawText()}, not a non-negative integer.")).ToArray();
    }
}
