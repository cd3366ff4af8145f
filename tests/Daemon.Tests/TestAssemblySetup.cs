using System.Runtime.CompilerServices;
using Recurring.Core;

namespace Recurring.Daemon.Tests;

internal static class TestAssemblySetup
{
    [ModuleInitializer]
    internal static void BeforeAnyTest() => ReproducibleMath.EnableBeforeTorchLoads();
}
