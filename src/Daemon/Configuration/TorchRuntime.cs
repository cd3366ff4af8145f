using System.Runtime.InteropServices;
using System.Text;

namespace Recurring.Daemon.Configuration;

/// <summary>A GPU as NVML reports it.</summary>
public sealed record GpuInfo(string Name, long TotalBytes, long UsedBytes);

/// <summary>
/// Loads libtorch from a chosen folder before TorchSharp does, and reports which libtorch and GPU the process uses.
/// Preloading by absolute path works because the loader then finds each library by its soname when TorchSharp
/// asks for it, and PyTorch's libraries locate their own dependencies through $ORIGIN.
/// </summary>
public static partial class TorchRuntime
{
    // Dependencies first. The CUDA ones are optional: a CPU-only folder is fine for Training:Device=cpu.
    private static readonly (string Name, bool Required)[] LoadOrder =
    [
        ("libc10.so", true),
        ("libtorch_cpu.so", true),
        ("libc10_cuda.so", false),
        ("libtorch_cuda.so", false),
        ("libtorch.so", true),
    ];

    public static void LoadFrom(string directory)
    {
        var tried = new StringBuilder();
        foreach (var (name, required) in LoadOrder)
        {
            var path = Path.Combine(directory, name);
            if (NativeLibrary.TryLoad(path, out _))
            {
                tried.AppendLine($"  loaded {path}");
                continue;
            }
            tried.AppendLine($"  {(File.Exists(path) ? "could not load" : "missing")} {path}");
            if (required)
                throw new ArgumentException($"Torch:NativeLibraryDirectory: no usable libtorch in '{directory}'. Tried:{Environment.NewLine}{tried}" +
                                            "Point it at a folder with libtorch.so, libtorch_cpu.so and libc10.so (for example a PyTorch wheel's torch/lib).");
        }
    }

    /// <summary>The libtorch_cpu.so this process loaded, or null before TorchSharp initialised.</summary>
    public static string? LoadedLibTorch()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && fields[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal))
                .Select(fields => Path.GetDirectoryName(fields[5]))
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Name and memory of GPU <paramref name="index"/> from NVML (the driver's library), or null without one.</summary>
    public static GpuInfo? Gpu(int index)
    {
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var nvml)) return null;
        try
        {
            if (!NativeLibrary.TryGetExport(nvml, "nvmlInit_v2", out var init) ||
                !NativeLibrary.TryGetExport(nvml, "nvmlDeviceGetHandleByIndex_v2", out var byIndex) ||
                !NativeLibrary.TryGetExport(nvml, "nvmlDeviceGetName", out var getName) ||
                !NativeLibrary.TryGetExport(nvml, "nvmlDeviceGetMemoryInfo", out var getMemory) ||
                !NativeLibrary.TryGetExport(nvml, "nvmlShutdown", out var shutdown))
                return null;
            unsafe
            {
                if (((delegate* unmanaged<int>)init)() != 0) return null;
                try
                {
                    return Read(index, byIndex, getName, getMemory);
                }
                finally
                {
                    ((delegate* unmanaged<int>)shutdown)();
                }
            }
        }
        finally
        {
            NativeLibrary.Free(nvml);
        }
    }

    private static unsafe GpuInfo? Read(int index, nint byIndex, nint getName, nint getMemory)
    {
        nint device;
        if (((delegate* unmanaged<uint, nint*, int>)byIndex)((uint)index, &device) != 0) return null;
        byte* name = stackalloc byte[96];
        if (((delegate* unmanaged<nint, byte*, uint, int>)getName)(device, name, 96) != 0) return null;
        // nvmlMemory_t: total, free, used (unsigned long long each).
        ulong* memory = stackalloc ulong[3];
        if (((delegate* unmanaged<nint, ulong*, int>)getMemory)(device, memory) != 0) return null;
        return new GpuInfo(Marshal.PtrToStringUTF8((nint)name) ?? "unknown", (long)memory[0], (long)memory[2]);
    }
}
