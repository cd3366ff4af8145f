namespace Recurring.Daemon.Configuration;

/// <summary>Section "Torch": where libtorch comes from.</summary>
public sealed class TorchOptions
{
    public const string Section = "Torch";

    /// <summary>
    /// A folder holding a (CUDA) libtorch, e.g. a PyTorch wheel's torch/lib, loaded before TorchSharp initialises.
    /// Empty: the libtorch shipped with the build, or whatever LD_LIBRARY_PATH finds.
    /// </summary>
    public string NativeLibraryDirectory { get; set; } = "";
}
