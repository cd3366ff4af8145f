using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Training;

public class MlpOptimizerTests
{
    /// <summary>The change one step makes to a parameter that starts at zero with gradient [1, -2, 3].</summary>
    private static float[] FirstStep(MlpOptimizerKind kind, double learningRateScale, float[]? stepFactor = null) =>
        FirstStepAndState(kind, learningRateScale, stepFactor).Step;

    private static (float[] Step, float[]? State) FirstStepAndState(MlpOptimizerKind kind, double learningRateScale, float[]? stepFactor)
    {
        using var scope = NewDisposeScope();
        using var optimizer = new MlpOptimizer(kind, 0.01, 1e-8) { LearningRateScale = learningRateScale };
        if (stepFactor is not null) optimizer.SetStepFactor("w", tensor(stepFactor));
        var parameter = zeros(3).requires_grad_();
        parameter.grad = tensor(new[] { 1f, -2f, 3f });
        optimizer.Step([("w", parameter)], tensor(true));
        return (parameter.detach().data<float>().ToArray(), optimizer.State("w")?.data<float>().ToArray());
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

    [Theory]
    [InlineData(MlpOptimizerKind.Adagrad)]
    [InlineData(MlpOptimizerKind.Sgd)]
    public void AStepFactorScalesEachEntrysStep(MlpOptimizerKind kind)
    {
        var plain = FirstStep(kind, 1);
        var factored = FirstStep(kind, 1, [1f, 0.25f, 0f]);

        Assert.Equal([plain[0], 0.25f * plain[1], 0f], factored, (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Abs(a));
    }

    [Fact]
    public void AdagradAccumulatesTheWholeGradientUnderAStepFactor()
    {
        var (_, state) = FirstStepAndState(MlpOptimizerKind.Adagrad, 1, [1f, 0.25f, 0f]);

        Assert.Equal([1f, 4f, 9f], Assert.IsType<float[]>(state));
    }
}
