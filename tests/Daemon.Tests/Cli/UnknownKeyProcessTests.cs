using Recurring.Daemon.Tests.Reliability;

namespace Recurring.Daemon.Tests.Cli;

/// <summary>
/// The acceptance cases as an operator meets them, `recurring` as a process: a mistyped key on the command line
/// or in a RECURRING_ variable, a mistyped option, and a --config file that is not there, each end with exit code 2 and exactly one line naming it
/// and the right spelling, before a checkpoint folder or the admin port is touched.
/// </summary>
public sealed class UnknownKeyProcessTests
{
    public static TheoryData<string, string[], string, string, string> Cases => new()
    {
        { "run", ["--Trainign:BatchSize=5"], "", "", "configuration error: unknown key Trainign:BatchSize (did you mean Training:BatchSize?)" },
        { "run", [], "RECURRING_Kafka__BootstrapServer", "x", "configuration error: unknown key Kafka:BootstrapServer (did you mean Kafka:BootstrapServers?)" },
        { "train-offline", ["--evnts", "5"], "", "", "error: unknown option --evnts for train-offline (did you mean --events?)" },
        { "run", ["--config", "missing.json"], "", "", "configuration error: --config missing.json: there is no such file." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AMistypedKeyOrOptionExitsWith2WithOneLineAndTouchesNothing(string command, string[] arguments, string variable, string value, string line)
    {
        var folder = Directory.CreateTempSubdirectory("recurring-unknown-").FullName;
        var log = Path.Combine(Path.GetTempPath(), $"recurring-unknown-{Guid.NewGuid():N}.log");
        try
        {
            var environment = variable.Length == 0 ? null : new Dictionary<string, string> { [variable] = value };
            using var process = DaemonProcess.Start(folder, log, ["--Admin:Port=0", "--Training:Device=cpu", .. arguments], command, environment);

            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"recurring {command} did not exit");

            Assert.Equal(2, process.ExitCode);
            Assert.Equal(line, Assert.Single(process.ErrorLines));
            Assert.DoesNotContain(process.Lines, l => l.Contains("Recurring is running", StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            File.Delete(log);
        }
    }
}
