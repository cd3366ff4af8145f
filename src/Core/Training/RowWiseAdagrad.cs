using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Training;

/// <summary>
/// Row-wise Adagrad for embedding tables (as in FBGEMM/TorchRec): one accumulator per row, the mean of the row's
/// squared gradient. Only rows present in the batch are read or written, so a step costs O(batch), not O(table).
/// </summary>
public sealed class RowWiseAdagrad : IDisposable
{
    public const string StateName = "embeddings.rowwise_adagrad";

    // Long-lived for the reason given in MlpOptimizer.
    private readonly Scalar _negativeLearningRate;
    private readonly Scalar _epsilon;

    public RowWiseAdagrad(long rows, double learningRate, double epsilon, Device device)
    {
        LearningRate = learningRate;
        Epsilon = epsilon;
        _negativeLearningRate = (-learningRate).ToScalar();
        _epsilon = epsilon.ToScalar();
        Accumulator = zeros([rows], device: device);
    }

    // 1 for every row a step updated since tracking began or was last cleared; null while nobody asks (deltas).
    private Tensor? _touched;

    public double LearningRate { get; }
    public double Epsilon { get; }
    public Tensor Accumulator { get; private set; }

    /// <summary>Starts recording which rows the steps update (one byte per row), for delta checkpoints.</summary>
    public void TrackTouchedRows() => _touched ??= zeros([Accumulator.shape[0]], ScalarType.Byte, Accumulator.device);

    /// <summary>
    /// The fused ids [K] (int64, ascending) of every row updated since <see cref="TrackTouchedRows"/> or
    /// <see cref="ClearTouchedRows"/>: no other row of the table or of the accumulator has changed since then.
    /// </summary>
    public Tensor TouchedRows()
    {
        if (_touched is null) throw new InvalidOperationException("Touched rows are not tracked: call TrackTouchedRows first.");
        using var scope = NewDisposeScope();
        return _touched.nonzero().squeeze(1).DetachFromDisposeScope();
    }

    public void ClearTouchedRows() => _touched?.zero_();

    /// <param name="weight">The fused table, updated in place.</param>
    /// <param name="rows">Fused row ids of <paramref name="gradient"/>'s rows; a row may repeat only with zero gradient.</param>
    /// <param name="gradient">[rows, dim] summed gradient per row.</param>
    /// <param name="apply">0/1 scalar tensor: 0 turns the step into an exact no-op.</param>
    public void Step(Tensor weight, Tensor rows, Tensor gradient, Tensor apply)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var safe = StepGate.Gate(gradient, apply);
        Accumulator.index_add_(0, rows, safe.pow(HeldScalars.Two).mean([1]), HeldScalars.One);
        var denominator = Accumulator.index_select(0, rows).sqrt_().add_(_epsilon, HeldScalars.One).unsqueeze(1);
        weight.index_add_(0, rows, safe.div(denominator), _negativeLearningRate);
        _touched?.index_fill_(0, rows, HeldScalars.One);
    }

    /// <summary>Replaces the accumulator (checkpoint restore); takes ownership.</summary>
    public void SetAccumulator(Tensor accumulator)
    {
        if (accumulator.dim() != 1 || accumulator.shape[0] != Accumulator.shape[0])
            throw new ArgumentException($"Row-wise Adagrad state must be [{Accumulator.shape[0]}].");
        var old = Accumulator;
        Accumulator = accumulator.DetachFromDisposeScope();
        if (!ReferenceEquals(old, Accumulator)) old.Dispose();
    }

    public void Dispose()
    {
        _touched?.Dispose();
        Accumulator.Dispose();
        _negativeLearningRate.Dispose();
        _epsilon.Dispose();
    }
}
