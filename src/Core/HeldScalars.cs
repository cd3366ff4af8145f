using TorchSharp;

namespace Recurring.Core;

/// <summary>
/// Scalars that live as long as the process. TorchSharp hands a Scalar's native handle to libtorch without keeping the
/// managed object alive, so a temporary one can be finalized in the middle of the call (seen as "Expected false to be
/// true" from c10::Scalar::toFloat, which ended a streaming daemon). That includes the hidden alpha of the one-argument
/// add/add_ overloads and of the tensor + operator: tensor code here always passes <see cref="One"/> instead. And
/// square(), which is pow with a temporary 2 (seen as "Unknown scalar type" from pow_Tensor_Scalar in a streaming
/// daemon): tensor code here squares with pow(<see cref="Two"/>), the same kernel.
/// </summary>
public static class HeldScalars
{
    public static readonly Scalar Zero = 0.ToScalar();

    public static readonly Scalar One = 1.ToScalar();

    public static readonly Scalar Two = 2.ToScalar();
}
