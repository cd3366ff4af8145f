using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Tests.Model;
using static TorchSharp.torch;

namespace Recurring.Core.Tests.Growth;

public class NeuronImportanceTests
{
    [Fact]
    public void TheTaylorTermIsActivationTimesItsGradientSummedOverTheBatch()
    {
        using var mlp = new Mlp("top", [3, 4, 2], reluOnOutput: false, CPU, new Generator(5));
        using var scope = NewDisposeScope();
        var input = randn(16, 3, generator: new Generator(7));
        var hidden = nn.functional.relu(nn.functional.linear(input, mlp.Weight(0), mlp.Bias(0)));
        hidden.retain_grad();
        nn.functional.linear(hidden, mlp.Weight(1), mlp.Bias(1)).sin().sum().backward();

        var expected = hidden.mul(hidden.grad!).sum(dim: 0).abs();

        Assert.True(NeuronImportance.TaylorTerm(mlp, 0).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ADeadNeuronWithLargeWeightsRanksFirstByWeightNormAndLastByTaylor()
    {
        using var mlp = new Mlp("top", [2, 3, 1], reluOnOutput: false, CPU);
        using var scope = NewDisposeScope();
        // Neuron 2 has the largest weights but a bias so negative that its ReLU never opens.
        mlp.SetLayer(0, tensor(new float[] { 1, 0, 0, 1, 5, 5 }, [3, 2]), tensor(new float[] { 0, 0, -100 }));
        mlp.SetLayer(1, tensor(new float[] { 1, 1, 5 }, [1, 3]), tensor(new float[] { 0 }));
        var input = rand(32, 2, generator: new Generator(3));
        nn.functional.linear(nn.functional.relu(nn.functional.linear(input, mlp.Weight(0), mlp.Bias(0))), mlp.Weight(1), mlp.Bias(1))
            .sub(tensor(3f)).pow(HeldScalars.Two).sum().backward();

        Assert.Equal(2, NeuronImportance.Of(mlp, 0).argmax().item<long>());
        Assert.Equal(2, NeuronImportance.TaylorTerm(mlp, 0).argmin().item<long>());
    }

    [Fact]
    public void AConstantNeuronHasNoVarianceImportanceAndPruningItWithItsMeanFoldedInKeepsTheOutput()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var statistics = new ImportanceStatistics(model);
        using var scope = NewDisposeScope();
        var bottom = model.Bottom;
        // Neuron 0 of the bottom MLP's first hidden layer ignores its input: its activation is always 1.
        var incoming = bottom.Weight(0).detach().clone();
        incoming[0] = zeros(incoming.shape[1]);
        var bias = bottom.Bias(0).detach().clone();
        bias[0] = tensor(1f);
        bottom.SetLayer(0, incoming, bias);
        var dense = randn(64, 13, generator: new Generator(2));
        var rows = randint(0, 3, [64, CriteoRecord.CategoricalCount], dtype: ScalarType.Int64, generator: new Generator(4));
        var embedded = model.Embeddings.Lookup(new SparseInput(rows));
        statistics.Observe(ImportanceCriterion.ActivationVariance, dense, embedded);
        Tensor before;
        using (no_grad()) before = model.Forward(dense, embedded).clone();

        var importance = statistics.Importance(ImportanceCriterion.ActivationVariance, bottom, 0);
        Assert.Equal(0, importance[0].item<float>());
        Assert.Equal(0, importance.argmin().item<long>());

        using var optimizer = new Recurring.Core.Training.MlpOptimizer(Recurring.Core.Training.MlpOptimizerKind.Adagrad, 0.01, 1e-8);
        int width = (int)bottom.Weight(0).shape[0];
        new NeuronSurgery(optimizer).Prune(bottom, 0, arange(1, width, dtype: ScalarType.Int64), statistics.MeanActivation(bottom, 0));

        using (no_grad()) Assert.True(model.Forward(dense, embedded).allclose(before, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void TaylorStatisticsSumTheTermOverTheObservedSteps()
    {
        using var model = new DlrmModel(DlrmModelTests.SmallConfig(), CPU, seed: 1);
        using var statistics = new ImportanceStatistics(model);
        using var scope = NewDisposeScope();
        var dense = randn(32, 13, generator: new Generator(2));
        var rows = randint(0, 3, [32, CriteoRecord.CategoricalCount], dtype: ScalarType.Int64, generator: new Generator(4));
        var embedded = model.Embeddings.Lookup(new SparseInput(rows));
        model.Forward(dense, embedded).sum().backward();

        statistics.Observe(ImportanceCriterion.Taylor, dense, embedded);
        statistics.Observe(ImportanceCriterion.Taylor, dense, embedded);

        var once = NeuronImportance.TaylorTerm(model.Top, 1);
        Assert.True(statistics.Importance(ImportanceCriterion.Taylor, model.Top, 1).allclose(once.mul(tensor(2f)), rtol: 1e-5, atol: 1e-7));
        Assert.Equal(2, statistics.Steps);
    }
}
