using Recurring.Checkpointing.Tests.Support;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

public class CheckpointWriteBenchmarkTests
{
    [Fact]
    public async Task ReportsBothSpeedsAndLeavesTheFolderAsItFoundIt()
    {
        using var directory = new TemporaryDirectory();

        var figures = await CheckpointWriteBenchmark.RunAsync(TrainingRun.SmallConfig(), CPU, directory.Path, repetitions: 2, CancellationToken.None);

        Assert.True(figures.CheckpointBytes > figures.ModelBytes, "the optimizer state is written too");
        Assert.True(figures is { CheckpointBytesPerSecond: > 0, RawBytesPerSecond: > 0, Ratio: > 0 });
        Assert.Empty(directory.Entries());
    }
}
