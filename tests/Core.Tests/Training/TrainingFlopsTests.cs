using Recurring.Core.Training;

namespace Recurring.Core.Tests.Training;

public class TrainingFlopsTests
{
    [Fact]
    public void MlpFlopsMatchAHandCountedNetwork()
    {
        // 2 -> 3 (ReLU) -> 1, input without gradient:
        // layer 1: forward 2*2*3 + 3 bias + 3 relu = 18; backward 12 weight grad + 0 input grad + 3 bias + 3 relu = 18
        // layer 2: forward 2*3*1 + 1 = 7;               backward 6 weight grad + 6 input grad + 1 bias = 13
        Assert.Equal(18 + 18 + 7 + 13, TrainingFlops.MlpPerSample([2, 3, 1], reluOnOutput: false, inputNeedsGradient: false));
    }

    [Fact]
    public void InputGradientAddsTheFirstLayersInputProduct()
    {
        long without = TrainingFlops.MlpPerSample([2, 3, 1], reluOnOutput: false, inputNeedsGradient: false);
        Assert.Equal(without + 2 * 2 * 3, TrainingFlops.MlpPerSample([2, 3, 1], reluOnOutput: false, inputNeedsGradient: true));
    }

    [Fact]
    public void InteractionFlopsAreThreeBatchedProducts()
    {
        // forward F x D by D x F = 2*F*F*D; backward two more of the same size.
        Assert.Equal(3 * 2 * 27 * 27 * 16, TrainingFlops.InteractionPerSample(27, 16));
    }
}
