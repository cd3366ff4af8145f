using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Training;

/// <summary>
/// Adagrad or plain SGD over named parameters. State lives in a dictionary keyed by parameter name so growth and
/// pruning can reshape it together with the weights, and checkpoints can store it.
/// </summary>
public sealed class MlpOptimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> _accumulators = new();
    private readonly Dictionary<string, Tensor> _stepFactors = new();

    // Held until the step size changes, never temporary (see HeldScalars).
    private Scalar _negativeLearningRate;
    private readonly Scalar _epsilon;
    private double _learningRateScale = 1;

    public MlpOptimizer(MlpOptimizerKind kind, double learningRate, double epsilon)
    {
        Kind = kind;
        LearningRate = learningRate;
        Epsilon = epsilon;
        _negativeLearningRate = (-learningRate).ToScalar();
        _epsilon = epsilon.ToScalar();
    }

    public MlpOptimizerKind Kind { get; }
    public double LearningRate { get; }
    public double Epsilon { get; }

    /// <summary>
    /// Factor on <see cref="LearningRate"/> for the steps that follow. The offline trainer sets it before every step
    /// (<see cref="OfflineTrainer"/>: the rate boost's schedule times AMGP's pruned scale); streaming leaves it at 1.
    /// </summary>
    public double LearningRateScale
    {
        get => _learningRateScale;
        set
        {
            if (value == _learningRateScale) return;
            _learningRateScale = value;
            _negativeLearningRate.Dispose();
            _negativeLearningRate = (-LearningRate * value).ToScalar();
        }
    }

    /// <summary>
    /// A factor per entry on one parameter's steps (same shape as the parameter), on top of the learning rate; null
    /// removes it. The growth/pruning controller uses it to warm up regrown neurons. Adagrad still accumulates the
    /// whole gradient, so the factor changes how far an entry moves, not the history its later steps are scaled by.
    /// Takes ownership of <paramref name="factor"/>.
    /// </summary>
    public void SetStepFactor(string name, Tensor? factor)
    {
        if (_stepFactors.Remove(name, out var old)) old.Dispose();
        if (factor is not null) _stepFactors[name] = factor.DetachFromDisposeScope();
    }

    /// <summary>The factor <see cref="SetStepFactor"/> holds for a parameter, if any.</summary>
    public Tensor? StepFactor(string name) => _stepFactors.GetValueOrDefault(name);

    /// <summary>
    /// Applies each parameter's gradient scaled by <paramref name="apply"/> (a 0/1 scalar tensor), so a step with
    /// non-finite gradients becomes an exact no-op without reading anything back from the device.
    /// </summary>
    public void Step(IEnumerable<(string Name, Tensor Value)> parameters, Tensor apply)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in parameters)
        {
            using var scope = NewDisposeScope();
            var grad = parameter.grad;
            if (grad is null) continue;
            var safe = StepGate.Gate(grad, apply);
            var factor = _stepFactors.GetValueOrDefault(name);
            if (factor is not null && !factor.shape.SequenceEqual(parameter.shape))
                throw new InvalidOperationException($"Step factor of {name} is [{string.Join(", ", factor.shape)}] but the parameter is [{string.Join(", ", parameter.shape)}]: set it after the surgery.");
            var update = factor is null ? safe : safe.mul(factor);
            if (Kind == MlpOptimizerKind.Sgd)
            {
                parameter.add_(update, alpha: _negativeLearningRate);
                continue;
            }
            var accumulator = AccumulatorFor(name, parameter);
            accumulator.addcmul_(safe, safe, HeldScalars.One);
            parameter.addcdiv_(update, accumulator.sqrt().add_(_epsilon, HeldScalars.One), _negativeLearningRate);
        }
    }

    /// <summary>Adagrad's sum of squared gradients for a parameter, when it has one.</summary>
    public Tensor? State(string name) => _accumulators.GetValueOrDefault(name);

    /// <summary>Replaces (or sets) a parameter's state; takes ownership of <paramref name="state"/>.</summary>
    public void SetState(string name, Tensor state)
    {
        var kept = state.DetachFromDisposeScope();
        if (_accumulators.TryGetValue(name, out var old) && !ReferenceEquals(old, kept)) old.Dispose();
        _accumulators[name] = kept;
    }

    public IEnumerable<(string Name, Tensor Value)> NamedState() =>
        _accumulators.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value));

    private Tensor AccumulatorFor(string name, Tensor parameter)
    {
        if (_accumulators.TryGetValue(name, out var accumulator) && accumulator.shape.SequenceEqual(parameter.shape))
            return accumulator;
        if (accumulator is not null)
            throw new InvalidOperationException($"Optimizer state of {name} is [{string.Join(", ", accumulator.shape)}] but the parameter is [{string.Join(", ", parameter.shape)}]: reshape the state with the parameter.");
        var created = zeros_like(parameter).DetachFromDisposeScope();
        _accumulators[name] = created;
        return created;
    }

    public void Dispose()
    {
        foreach (var state in _accumulators.Values.Concat(_stepFactors.Values)) state.Dispose();
        _accumulators.Clear();
        _stepFactors.Clear();
        _negativeLearningRate.Dispose();
        _epsilon.Dispose();
    }
}
