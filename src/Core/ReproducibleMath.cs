using System.Runtime.InteropServices;

namespace Recurring.Core;

/// <summary>
/// Makes libtorch's CPU matrix products bit-reproducible from run to run. libtorch-cpu links Intel MKL, whose
/// kernels may pick different code paths depending on the memory alignment of their inputs, so two runs over the
/// same data can differ in the last bits. MKL's conditional numerical reproducibility (MKL_CBWR=AUTO: the best
/// code path of this CPU, fixed) removes that; same machine, same thread count, same results. MKL reads the
/// variable when it initialises, so this must run before the first torch call of the process; .NET's own
/// environment API does not change the native environment, hence setenv. A value already set by the operator wins.
/// </summary>
public static partial class ReproducibleMath
{
    public const string Variable = "MKL_CBWR";

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetNativeEnvironmentVariable(string name, string value, int overwrite);

    public static void EnableBeforeTorchLoads()
    {
        if (!OperatingSystem.IsLinux()) return;
        SetNativeEnvironmentVariable(Variable, "AUTO", overwrite: 0);
    }
}
