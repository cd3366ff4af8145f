using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Tests.Deployment;
using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Serving;

/// <summary>
/// The Python package's own tests (python/tests) run from here, so the README's test command runs them, with the
/// parity fixtures the trainer writes (<see cref="ParityFixtures"/>): Python's predictions within 1e-5 of the
/// trainer's, AUCs to 4 decimals, the same features bit for bit, the docs' hashing vectors.
/// </summary>
public sealed class PythonPackageTests(ITestOutputHelper output)
{
    /// <summary>Debian's python3 with python3-torch, python3-numpy and python3-pytest (.ci/run installs them).</summary>
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} is not installed";
        var probe = ExternalCommand.Run(Python, ["-c", "import torch, numpy, pytest"], TimeSpan.FromMinutes(1));
        return probe.ExitCode == 0 ? null : $"{Python} lacks torch, numpy or pytest (Debian packages python3-torch python3-numpy python3-pytest; .ci/run installs them): {probe.StandardError.Trim().Split('\n')[^1]}";
    });

    [SkippableFact]
    public async Task PythonPackageTestsPassAgainstTheTrainersCheckpointsAndPredictions()
    {
        Skip.If(missing.Value is not null, missing.Value);
        using var fixtures = new TemporaryDirectory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ParityFixtures.WriteCriteoAsync(Path.Combine(fixtures.Path, "criteo"));
        output.WriteLine($"criteo fixture: {clock.Elapsed.TotalSeconds:F1} s");
        await ParityFixtures.WriteMultiValuedAsync(Path.Combine(fixtures.Path, "multi"));
        output.WriteLine($"multi-valued fixture: {clock.Elapsed.TotalSeconds:F1} s");

        var result = ExternalCommand.Run(Python, ["-m", "pytest", "python/tests", "-q", "-rs", "-p", "no:cacheprovider"], TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string>
            {
                ["RECURRING_PARITY_DIR"] = fixtures.Path,
                ["RECURRING_PARITY_REQUIRED"] = "1",
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            });

        output.WriteLine(result.Transcript);
        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains(" passed", result.StandardOutput);
        Assert.DoesNotContain("skipped", result.StandardOutput);
    }
}
