using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests;

/// <summary>A diverged model is never checkpointed: a restart would restore it, and retention would age out the good ones.</summary>
public class NonFiniteTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public async Task AModelHoldingANonFiniteWeightIsRefusedAndNothingIsWritten(float poison)
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        var manager = Checkpoints.Manager(directory.Path);
        var good = await manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        using (no_grad()) run.Model.Bottom.Weight(1)[0, 0].fill_(poison);

        var error = await Assert.ThrowsAsync<CheckpointException>(() => manager.SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

        Assert.Contains("NaN or infinite", error.Message);
        Assert.Contains(Mlp.WeightName(run.Model.Bottom.Name, 1), error.Message);
        Assert.Equal([good.Id], directory.Entries());
    }

    [Fact]
    public async Task ANonFiniteOptimizerStateIsRefused()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        using (no_grad()) run.Trainer.EmbeddingOptimizer!.Accumulator[3].fill_(float.NaN);

        var error = await Assert.ThrowsAsync<CheckpointException>(() => Checkpoints.Manager(directory.Path).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None));

        Assert.Contains(RowWiseAdagrad.StateName, error.Message);
        Assert.Empty(directory.Entries());
    }
}
