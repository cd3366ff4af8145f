using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Training;

public class MlpOptimizerTests
{
    /// <summary>The change one step makes to a parameter that starts at zero with gradient [1, -2, 3].</summary>
    private static float[] FirstStep(MlpOptimizerKind kind, double learningRateScale)
    {
        using var scope = NewDisposeScope();
        using var optimizer = new MlpOptimizer(kind, 0.01, 1e-8) { LearningRateScale = learningRateScale };
        var parameter = zeros(3).requires_grad_();
        parameter.grad = tensor(new[] { 1f, -2f, 3f });
        optimizer.Step([("w", parameter)], tensor(true));
        return parameter.detach().data<float>().ToArray();
    }

    [Theory]
    [InlineData(MlpOptimizerKind.Adagrad)]
    [InlineData(MlpOptimizerKind.Sgd)]
    public void TheLearningRateScaleMultipliesEveryStep(MlpOptimizerKind kind)
    {
        var plain = FirstStep(kind, 1);
        var scaled = FirstStep(kind, 4);

        Assert.Equal(plain.Select(step => 4 * step), scaled, (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Abs(a));
    }
}
