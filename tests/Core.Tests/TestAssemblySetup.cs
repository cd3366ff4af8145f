using System.Runtime.CompilerServices;

namespace Recurring.Core.Tests;

internal static class TestAssemblySetup
{
    [ModuleInitializer]
    internal static void BeforeAnyTest() => ReproducibleMath.EnableBeforeTorchLoads();
}
