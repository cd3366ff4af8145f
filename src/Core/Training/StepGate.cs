using static TorchSharp.torch;

namespace Recurring.Core.Training;

/// <summary>Turns a step on or off on the device, without reading a flag back to the host.</summary>
internal static class StepGate
{
    /// <summary>
    /// <paramref name="value"/> where <paramref name="apply"/> (a 0-dim bool tensor) is true, exact zeros otherwise,
    /// even where <paramref name="value"/> holds NaN or infinity (multiplying by 0 would keep NaN).
    /// </summary>
    public static Tensor Gate(Tensor value, Tensor apply) => where(apply, value, zeros([], value.dtype, value.device));
}
