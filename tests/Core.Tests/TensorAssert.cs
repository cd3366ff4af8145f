using static TorchSharp.torch;

namespace Recurring.Core.Tests;

internal static class TensorAssert
{
    /// <summary>Same shape and bit-for-bit the same values.</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.equal(b).all().item<bool>();
}
