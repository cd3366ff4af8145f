using static TorchSharp.torch;

namespace Recurring.Checkpointing;

/// <summary>
/// A tensor's elements as they lie in memory, written to a stream a bounded slice at a time: a host tensor's bytes in
/// place, a GPU tensor copied to the host one slice at a time, so writing never holds a second copy of a large table.
/// Safetensors and ONNX both store little-endian data, which is what memory holds on every machine we build for.
/// </summary>
internal static class TensorBytes
{
    /// <summary>Bytes per slice: bounds the host copy a GPU tensor needs and keeps every span under 2 GiB.</summary>
    public const long DefaultChunkBytes = 64L << 20;

    public static long SizeOf(Tensor tensor) => tensor.numel() * tensor.element_size();

    public static void Write(Stream destination, Tensor tensor, CancellationToken cancellationToken, long chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing tensors needs a little-endian machine.");
        using var scope = NewDisposeScope();
        // Parameters are contiguous, so this is a view; anything else is made contiguous one tensor at a time.
        var flat = tensor.detach().contiguous().view(-1);
        long elements = flat.numel();
        long perChunk = Math.Max(1, chunkBytes / flat.element_size());
        for (long start = 0; start < elements; start += perChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var sliceScope = NewDisposeScope();
            var slice = flat.narrow(0, start, Math.Min(perChunk, elements - start)).to(CPU);
            destination.Write(slice.bytes);
        }
    }
}
