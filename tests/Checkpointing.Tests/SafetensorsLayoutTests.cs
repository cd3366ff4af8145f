using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Recurring.Checkpointing.Safetensors;
using Recurring.Core.Tests;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class SafetensorsLayoutTests
{
    private static readonly Dictionary<string, string> Metadata = new() { ["format"] = "pt" };

    private static (string Name, Tensor Value)[] MixedTensors() =>
    [
        ("weights", arange(6, dtype: ScalarType.Float32).view(2, 3) / 7),
        ("ids", tensor(new long[] { 3, -1, long.MaxValue, 0 })),
        ("scalar", tensor(2.5, ScalarType.Float64)),
    ];

    private static byte[] Write(IReadOnlyList<(string Name, Tensor Value)> tensors, long chunkBytes = SafetensorsWriter.DefaultChunkBytes)
    {
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, Metadata, CancellationToken.None, chunkBytes);
        return stream.ToArray();
    }

    [Fact]
    public void FileFollowsThePublishedLayout()
    {
        using var scope = NewDisposeScope();
        var tensors = MixedTensors();
        var file = Write(tensors);

        // 8-byte little-endian header length, then the JSON header, then the data.
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        var data = file.AsSpan(8 + (int)headerLength);

        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        long expectedOffset = 0;
        foreach (var (name, value) in tensors)
        {
            var entry = header.RootElement.GetProperty(name);
            Assert.Equal(new[] { "dtype", "shape", "data_offsets" }, entry.EnumerateObject().Select(p => p.Name));
            Assert.Equal(value.shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt32()).ToArray();
            Assert.Equal(expectedOffset, offsets[0]);
            Assert.Equal(value.bytes.ToArray(), data[offsets[0]..offsets[1]].ToArray());
            expectedOffset = offsets[1];
        }
        Assert.Equal(new[] { "F32", "I64", "F64" }, tensors.Select(t => header.RootElement.GetProperty(t.Name).GetProperty("dtype").GetString()));
        Assert.Equal(expectedOffset, data.Length);
    }

    [Fact]
    public void DataStartsEightByteAligned()
    {
        using var scope = NewDisposeScope();
        var file = Write(MixedTensors());
        Assert.Equal(0UL, (8 + BinaryPrimitives.ReadUInt64LittleEndian(file)) % 8);
    }

    [Fact]
    public void WritingInSmallSlicesGivesTheSameBytes()
    {
        using var scope = NewDisposeScope();
        var tensors = MixedTensors();
        Assert.Equal(Write(tensors), Write(tensors, chunkBytes: 12));
    }

    [Fact]
    public void ReaderRestoresEveryTensorBitForBit()
    {
        using var scope = NewDisposeScope();
        var tensors = MixedTensors();
        using var stream = new MemoryStream(Write(tensors));

        var reader = SafetensorsReader.Open(stream);

        Assert.Equal("pt", reader.Metadata["format"]);
        foreach (var (entry, (name, value)) in reader.Tensors.Zip(tensors))
        {
            Assert.Equal(name, entry.Name);
            Assert.True(TensorAssert.Identical(value, reader.Read(entry, CPU, CancellationToken.None)), name);
        }
    }

    [Fact]
    public void PyBridgeLoaderReadsOurFiles()
    {
        using var scope = NewDisposeScope();
        var tensors = MixedTensors();
        using var stream = new MemoryStream(Write(tensors));

        var loaded = TorchSharp.PyBridge.Safetensors.LoadStateDict(stream, true, null);

        foreach (var (name, value) in tensors) Assert.True(TensorAssert.Identical(value, loaded[name]), name);
    }

    [Fact]
    public void ReaderReadsPyBridgeFiles()
    {
        using var scope = NewDisposeScope();
        var tensors = MixedTensors();
        using var stream = new MemoryStream();
        TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, tensors.ToDictionary(t => t.Name, t => t.Value), true);
        stream.Position = 0;

        var reader = SafetensorsReader.Open(stream);

        foreach (var entry in reader.Tensors)
            Assert.True(TensorAssert.Identical(tensors.Single(t => t.Name == entry.Name).Value, reader.Read(entry, CPU, CancellationToken.None)), entry.Name);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", 16, "tightly packed")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "tightly packed")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "unknown dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}""", 8, "exactly dtype, shape and data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16, "twice")]
    [InlineData("""{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "not a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 9, "but its header describes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", 8, "not valid JSON")]
    [InlineData("""  {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "does not start with '{'")]
    public void ReaderRejectsLayoutViolations(string header, int dataBytes, string complaint)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsReader.Open(new MemoryStream(file)));
        Assert.Contains(complaint, error.Message);
    }

    [Fact]
    public void ReaderRejectsAHeaderLengthBeyondTheBound()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, SafetensorsReader.MaxHeaderBytes + 1);
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsReader.Open(new MemoryStream(file)));
        Assert.Contains("outside", error.Message);
    }

    [Fact]
    public void ReaderRejectsAFileThatEndsInsideATensor()
    {
        using var scope = NewDisposeScope();
        var file = Write(MixedTensors());
        // Forward-only, as when hashing: the short file is only noticed while reading.
        var reader = SafetensorsReader.Open(new HashingStream(new MemoryStream(file[..^4])));
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var entry in reader.Tensors) reader.Read(entry, CPU, CancellationToken.None);
        });
        Assert.Contains("ends inside", error.Message);
    }
}
