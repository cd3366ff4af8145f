using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Tests.Daemon;

public sealed class ConfigurationErrorTests
{
    [Fact]
    public void InvalidSettingsBuildNoDaemonWriteOneLinePerKeyAndCreateNoCheckpointFolder()
    {
        var folder = Directory.CreateTempSubdirectory("recurring-config-").FullName;
        try
        {
            string checkpoints = Path.Combine(folder, "checkpoints");
            string deadLetters = Path.Combine(folder, "dead-letters", "dead-letters.jsonl");
            string[] invalidKeys = ["Training:BatchSize", "Streaming:MaxBatchSize", "Kafka:Topic", "Admin:Port", "Admin:Token", "Checkpoints:KeepLast"];
            var errors = new StringWriter();

            var app = DaemonHost.TryBuild(
            [
                $"--Checkpoints:Directory={checkpoints}",
                $"--Streaming:DeadLetterFile={deadLetters}",
                "--Training:BatchSize=0",
                "--Streaming:MaxBatchSize=0",
                "--Kafka:Topic=no spaces allowed",
                "--Admin:Port=70000",
                "--Admin:Token=too-short",
                "--Checkpoints:KeepLast=0",
            ], errors);

            Assert.Null(app);
            var lines = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(invalidKeys.Length, lines.Length);
            foreach (var key in invalidKeys) Assert.Single(lines, line => line.Contains(key, StringComparison.Ordinal));
            Assert.False(Directory.Exists(checkpoints));
            Assert.False(Directory.Exists(Path.GetDirectoryName(deadLetters)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AValueOfTheWrongTypeBuildsNoDaemonAndNamesItsKey()
    {
        var errors = new StringWriter();

        Assert.Null(DaemonHost.TryBuild(["--Training:BatchSize=many"], errors));

        Assert.Contains("Training:BatchSize", Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
