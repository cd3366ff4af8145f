using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Recurring.Daemon.Configuration;

/// <summary>Turns Training:Device and Training:Deterministic/Threads into a ready libtorch device.</summary>
public static partial class DeviceSelection
{
    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex DevicePattern();

    public static bool IsValid(string device) => DevicePattern().IsMatch(device ?? "");

    public static Device Resolve(TrainingOptions options)
    {
        if (options.Deterministic)
        {
            // The CPU kernels the trainer uses are deterministic for a fixed thread count; TorchSharp 0.107 does not
            // implement use_deterministic_algorithms, so one thread is the whole recipe.
            set_num_threads(1);
        }
        else if (options.Threads > 0)
        {
            set_num_threads(options.Threads);
        }

        var requested = options.Device.Trim().ToLowerInvariant();
        if (requested == "auto") return cuda.is_available() ? CUDA : CPU;
        if (requested.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new InvalidOperationException($"Training:Device is '{options.Device}' but libtorch reports no CUDA device.");
        return new Device(requested);
    }
}
