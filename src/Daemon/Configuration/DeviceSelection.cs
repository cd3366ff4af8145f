using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Daemon.Configuration;

/// <summary>The device training runs on, where its libtorch came from, and the GPU when there is one.</summary>
public sealed record TorchDevice(Device Device, string? LibTorchDirectory, GpuInfo? Gpu)
{
    public string Describe() =>
        $"{Device}{(Gpu is null ? "" : $" ({Gpu.Name}, {Gpu.TotalBytes / (1L << 30)} GiB)")}, libtorch from {LibTorchDirectory ?? "unknown"}";
}

/// <summary>Turns Training:Device, Training:Deterministic/Threads and Torch:NativeLibraryDirectory into a ready device.</summary>
public static partial class DeviceSelection
{
    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex DevicePattern();

    public static bool IsValid(string device) => DevicePattern().IsMatch(device ?? "");

    /// <summary>Must be the process's first use of torch: a chosen libtorch is loaded before TorchSharp loads its own.</summary>
    public static TorchDevice Resolve(TrainingOptions options, TorchOptions torchOptions)
    {
        if (torchOptions.NativeLibraryDirectory.Length > 0) TorchRuntime.LoadFrom(torchOptions.NativeLibraryDirectory);

        var requested = options.Device.Trim().ToLowerInvariant();
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch now, so a broken install fails here, clearly
        bool wantsCuda = requested != "cpu";
        // TorchSharp loads the CUDA backend only when asked; without this, is_available() says no.
        bool cudaLoaded = wantsCuda && torch.TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available();
        if (requested.StartsWith("cuda", StringComparison.Ordinal) && !cudaLoaded)
            throw new ArgumentException($"Training:Device is '{options.Device}' but no CUDA device is usable: libtorch here is CPU-only or no GPU is visible " +
                                        "(set Torch:NativeLibraryDirectory to a CUDA libtorch, e.g. a PyTorch wheel's torch/lib).");

        if (options.Deterministic)
        {
            // The CPU kernels the trainer uses are deterministic for a fixed thread count (with MKL_CBWR, see
            // ReproducibleMath); TorchSharp 0.107 does not implement use_deterministic_algorithms.
            set_num_threads(1);
        }
        else if (options.Threads > 0)
        {
            set_num_threads(options.Threads);
        }

        var device = requested == "auto" ? (cudaLoaded ? CUDA : CPU) : new Device(requested);
        var gpu = device.type == DeviceType.CUDA ? TorchRuntime.Gpu(device.index < 0 ? 0 : device.index) : null;
        return new TorchDevice(device, TorchRuntime.LoadedLibTorch(), gpu);
    }
}
