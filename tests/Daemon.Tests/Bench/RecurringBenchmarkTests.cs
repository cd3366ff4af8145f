using System.Text.Json;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Tests.Cli;

namespace Recurring.Daemon.Tests.Bench;

[Collection(ConsoleCollection.Name)]
public sealed class RecurringBenchmarkTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A small model on a few thousand events, so the whole command runs in seconds.</summary>
    private static readonly string[] Small =
    [
        "--Model:EmbeddingDim=4", "--Model:RowsPerTable=1000", "--Model:BottomLayers:0=13", "--Model:BottomLayers:1=16", "--Model:BottomLayers:2=4",
        "--Model:TopHidden:0=16", "--Training:BatchSize=256", "--Offline:EvalEvents=1000", "--Synthetic:CalibrationSampleSize=1000",
    ];

    [Fact]
    public async Task EveryStartModelAndTheFrozenDenseOneReportFiniteProgressiveFiguresAndTheChartIsWritten()
    {
        var chart = Path.Combine(_directory.Path, "charts", "recurring.png");

        var (code, output, error) = await HostileArgumentTests.RunAsync(
            ["bench", "recurring", "--seeds", "1", "--events", "4000", "--stream-events", "2000", "--chart", chart, "--json", .. Small]);

        Assert.True(code == 0, error);
        var report = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        var starts = report.GetProperty("starts").EnumerateArray().ToArray();
        Assert.Equal(["dense", "amgp", "prune-only", "frozen dense"], starts.Select(s => s.GetProperty("start").GetString()));
        Assert.All(starts, start => Assert.All(new[] { "progressiveAuc", "tailAuc", "progressiveNe", "tailNe" },
            figure => Assert.True(double.IsFinite(start.GetProperty(figure).GetProperty("mean").GetDouble()), $"{start.GetProperty("start")} {figure}")));
        Assert.Equal(2000, report.GetProperty("streamEvents").GetInt32());
        // docs/amgp.md: rotation 1.0 and 200 new IDs per million events, and a new nonlinear dense effect of strength 1.0.
        var drift = report.GetProperty("drift");
        Assert.Equal([1.0, 200, 1.0], new[] { "rotationPerMillionEvents", "newIdsPerMillionEvents", "newEffectStrength" }.Select(f => drift.GetProperty(f).GetDouble()));
        Assert.True(new FileInfo(chart).Length > 0);
    }

    [Theory]
    [InlineData("--stream-events", "0")]
    [InlineData("--seeds", "0")]
    [InlineData("--events", "0")]
    public async Task AZeroCountIsRefusedInOneLineWithExitCode2(string option, string value)
    {
        var (code, output, error) = await HostileArgumentTests.RunAsync(["bench", "recurring", option, value, .. Small]);

        Assert.Equal(2, code);
        Assert.Contains(option, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("progressive", output);
    }
}
