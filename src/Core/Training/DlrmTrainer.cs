using Recurring.Core.Data;
using Recurring.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Training;

/// <summary>Running totals kept on the device and read back only on request.</summary>
public readonly record struct TrainingTotals(long Steps, long Samples, long SkippedSteps, double LossSum, long LossSamples)
{
    /// <summary>Mean training log loss since the last <see cref="DlrmTrainer.ResetLossWindow"/>.</summary>
    public double MeanLoss => LossSamples == 0 ? double.NaN : LossSum / LossSamples;
}

/// <summary>
/// Mini-batch training of a <see cref="DlrmModel"/>: binary cross-entropy on logits, Adagrad/SGD for the MLPs and
/// row-wise Adagrad for the embeddings. A step whose loss or gradients are not finite is skipped exactly (its
/// update is multiplied by zero on the device) and counted, so a poisoned batch can never reach the weights. With
/// <see cref="ClipGradientNorm"/> set, a larger gradient is scaled down to that L2 norm before the optimizer sees it.
/// </summary>
public sealed class DlrmTrainer : IDisposable
{
    private readonly Tensor _skippedSteps;
    private readonly Tensor _lossSum;
    private readonly Tensor _lossSamples;
    private readonly Tensor _gradientNormSum;
    private readonly Tensor _gradientNormSteps;
    private long _steps;
    private long _samples;
    private double _clipGradientNorm;
    private Scalar? _clipNorm;

    public DlrmTrainer(DlrmModel model, OptimizerOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
        Model = model;
        Options = options;
        MlpOptimizer = new MlpOptimizer(options.Mlp, options.MlpLearningRate, options.Epsilon);
        if (options.EmbeddingUpdate == EmbeddingUpdateKind.RowWiseAdagrad)
        {
            EmbeddingOptimizer = new RowWiseAdagrad(model.Embeddings.TotalRows, options.EmbeddingLearningRate, options.Epsilon, model.Device);
        }
        else
        {
            EmbeddingsAsDense = new MlpOptimizer(MlpOptimizerKind.Adagrad, options.EmbeddingLearningRate, options.Epsilon);
            model.Embeddings.Weight.requires_grad_(true);
        }
        _skippedSteps = zeros([], ScalarType.Int64, model.Device);
        _lossSum = zeros([], ScalarType.Float64, model.Device);
        _lossSamples = zeros([], ScalarType.Int64, model.Device);
        _gradientNormSum = zeros([], ScalarType.Float64, model.Device);
        _gradientNormSteps = zeros([], ScalarType.Int64, model.Device);
    }

    public DlrmModel Model { get; }
    public OptimizerOptions Options { get; }
    public MlpOptimizer MlpOptimizer { get; }
    public RowWiseAdagrad? EmbeddingOptimizer { get; }

    /// <summary>Only for <see cref="EmbeddingUpdateKind.DenseAdagrad"/>.</summary>
    private MlpOptimizer? EmbeddingsAsDense { get; }

    /// <summary>
    /// Raised in every training step after the backward pass and before the optimizer step, with the batch's dense
    /// inputs and the embedding rows the forward pass used: AMGP's importance statistics read the gradients here.
    /// </summary>
    public event Action<Tensor, Tensor>? GradientsComputed;

    public long Steps => _steps;
    public long Samples => _samples;

    /// <summary>
    /// The largest L2 norm of the whole gradient (MLPs and the embedding rows of the batch) a step applies; a larger
    /// one is scaled down to it, on the device. 0 (the default) leaves gradients as they are. Not part of a checkpoint:
    /// it says how to train from here.
    /// </summary>
    public double ClipGradientNorm
    {
        get => _clipGradientNorm;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "A gradient norm limit is 0 (off) or a positive number.");
            _clipGradientNorm = value;
            _clipNorm?.Dispose();
            // Held for the trainer's lifetime, never temporary (see HeldScalars).
            _clipNorm = value > 0 ? value.ToScalar() : null;
        }
    }

    /// <summary>Restores counters from a checkpoint.</summary>
    public void SetCounters(long steps, long samples)
    {
        _steps = steps;
        _samples = samples;
    }

    /// <summary>One optimizer step on a batch. Never reads from the device.</summary>
    /// <param name="regularizer">An extra differentiable penalty for this step (AMGP's group lasso), or null.</param>
    public void TrainStep(FeatureBatch batch, Func<Tensor?>? regularizer = null) => Step(batch, regularizer, scores: null);

    /// <summary>
    /// One optimizer step that also returns, in <paramref name="scores"/>, the click probability the model gave each
    /// event before learning from it: prequential evaluation at no extra forward pass. Returns false when the step
    /// was skipped because its loss or gradients were not finite. Reads back from the device once.
    /// </summary>
    public bool TrainAndScore(FeatureBatch batch, float[] scores)
    {
        if (scores.Length < batch.Count) throw new ArgumentException($"Room for {batch.Count} scores needed.", nameof(scores));
        return Step(batch, regularizer: null, scores);
    }

    private bool Step(FeatureBatch batch, Func<Tensor?>? regularizer, float[]? scores)
    {
        if (batch.Count == 0) return true;
        using var scope = NewDisposeScope();
        var (dense, sparse, labels) = ToDevice(batch);
        RowGather? gather = null;
        Tensor embedded;
        if (EmbeddingOptimizer is not null)
        {
            gather = Model.Embeddings.GatherDistinctRows(sparse);
            embedded = gather.Embedded;
        }
        else
        {
            embedded = Model.Embeddings.Lookup(sparse);
        }

        var logits = Model.Forward(dense, embedded);
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, labels);
        var penalty = regularizer?.Invoke();
        (penalty is null ? loss : loss.add(penalty, HeldScalars.One)).backward();
        GradientsComputed?.Invoke(dense, embedded);

        var finite = isfinite(loss);
        foreach (var (_, parameter) in Model.Bottom.Parameters().Concat(Model.Top.Parameters()))
            finite = finite.logical_and(isfinite(parameter.grad!).all());
        if (gather is not null) finite = finite.logical_and(isfinite(gather.Values.grad!).all());
        var norm = GradientNorm(gather);
        AccumulateGradientNorm(norm, finite);
        if (_clipNorm is not null) ScaleGradients(gather, norm, _clipNorm);

        MlpOptimizer.Step(Model.Bottom.Parameters().Concat(Model.Top.Parameters()), finite);
        if (gather is not null) EmbeddingOptimizer!.Step(Model.Embeddings.Weight, gather.Rows, gather.Values.grad!, finite);
        else EmbeddingsAsDense!.Step([(FusedEmbeddingCollection.WeightName, Model.Embeddings.Weight)], finite);
        ClearGradients();

        using (no_grad())
        {
            _skippedSteps.add_(finite.logical_not().to(ScalarType.Int64), HeldScalars.One);
            using var count = tensor((long)batch.Count, device: Model.Device);
            _lossSum.add_(StepGate.Gate(loss.detach().to(ScalarType.Float64), finite).mul(count), HeldScalars.One);
            _lossSamples.add_(finite.to(ScalarType.Int64).mul(count), HeldScalars.One);
        }
        _steps++;
        _samples += batch.Count;
        if (scores is null) return true;
        using (no_grad())
        {
            logits.detach().sigmoid().to(CPU).data<float>().CopyTo(scores, 0);
        }
        return finite.item<bool>();
    }

    /// <summary>Click probabilities for a batch (reads back from the device).</summary>
    public float[] Predict(FeatureBatch batch)
    {
        if (batch.Count == 0) return [];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (dense, sparse, _) = ToDevice(batch);
        var probabilities = Model.Forward(dense, Model.Embeddings.Lookup(sparse)).sigmoid();
        return probabilities.to(CPU).data<float>().ToArray();
    }

    /// <summary>Reads the running totals back (one device synchronisation).</summary>
    public TrainingTotals ReadTotals() =>
        new(_steps, _samples, _skippedSteps.item<long>(), _lossSum.item<double>(), _lossSamples.item<long>());

    /// <summary>
    /// Mean L2 norm of the whole gradient (MLPs and the embedding rows the batch used) over the steps applied since
    /// the previous call, NaN when none was; one device synchronisation, and the next call starts afresh.
    /// </summary>
    public double ReadMeanGradientNorm()
    {
        double sum = _gradientNormSum.item<double>();
        long steps = _gradientNormSteps.item<long>();
        _gradientNormSum.zero_();
        _gradientNormSteps.zero_();
        return steps == 0 ? double.NaN : sum / steps;
    }

    /// <summary>The L2 norm of the whole gradient (MLPs and the embedding rows the batch used), on the device.</summary>
    private Tensor GradientNorm(RowGather? gather)
    {
        using var _ = no_grad();
        // A norm per tensor (a reduction, no squared copy of a large gradient), then the norm of those norms.
        var norms = Gradients(gather).Select(gradient => gradient.norm());
        return stack(norms.ToArray()).norm();
    }

    private IEnumerable<Tensor> Gradients(RowGather? gather) =>
        Model.Bottom.Parameters().Concat(Model.Top.Parameters()).Select(p => p.Item2.grad!)
            .Append(gather is not null ? gather.Values.grad! : Model.Embeddings.Weight.grad!);

    /// <summary>Adds this step's gradient norm (before any clipping), for a step that is applied (finite) only.</summary>
    private void AccumulateGradientNorm(Tensor norm, Tensor finite)
    {
        using var _ = no_grad();
        _gradientNormSum.add_(StepGate.Gate(norm.to(ScalarType.Float64), finite), HeldScalars.One);
        _gradientNormSteps.add_(finite.to(ScalarType.Int64), HeldScalars.One);
    }

    /// <summary>
    /// Multiplies every gradient by min(1, <paramref name="limit"/> / <paramref name="norm"/>), without reading the norm
    /// back. A non-finite norm makes the factor NaN or 0, which does not matter: that step is gated off anyway.
    /// </summary>
    private void ScaleGradients(RowGather? gather, Tensor norm, Scalar limit)
    {
        using var _ = no_grad();
        var factor = norm.reciprocal().mul_(limit).clamp_max_(HeldScalars.One);
        foreach (var gradient in Gradients(gather)) gradient.mul_(factor);
    }

    /// <summary>Starts a new window for <see cref="TrainingTotals.MeanLoss"/>.</summary>
    public void ResetLossWindow()
    {
        _lossSum.zero_();
        _lossSamples.zero_();
    }

    private (Tensor Dense, SparseInput Sparse, Tensor Labels) ToDevice(FeatureBatch batch)
    {
        if (batch.Schema != Model.Config.Features) throw new ArgumentException("The batch was built for another feature schema than the model's.", nameof(batch));
        // Whole buffers narrowed to the batch: no managed copy per step, which also keeps GC pressure low.
        int count = batch.Count;
        var dense = Place(tensor(batch.Dense, [batch.Capacity, batch.DenseWidth]).narrow(0, 0, count));
        var rows = Place(tensor(batch.Rows, [batch.Capacity, batch.SingleWidth]).narrow(0, 0, count));
        var labels = Place(tensor(batch.Labels, [batch.Capacity]).narrow(0, 0, count));
        if (batch.MultiWidth == 0) return (dense, new SparseInput(rows), labels);
        int values = batch.BagValueCount;
        var bags = new BagInput(
            Place(tensor(batch.BagRows, [batch.BagRows.LongLength]).narrow(0, 0, values)),
            Place(tensor(batch.BagOf, [batch.BagOf.LongLength]).narrow(0, 0, values)),
            Place(tensor(batch.BagWeights, [batch.BagWeights.LongLength]).narrow(0, 0, values)));
        return (dense, new SparseInput(rows, bags), labels);
    }

    /// <summary>
    /// On a CPU the host buffer itself. To a GPU: through page-locked memory, asynchronously, so the copy overlaps the
    /// previous step's kernels. libtorch's pinned allocator only reuses a block once the copy that read it has
    /// completed, so the host buffers are free to be refilled for the next batch at once.
    /// </summary>
    private Tensor Place(Tensor host) =>
        Model.Device.type == DeviceType.CPU ? host : host.contiguous().pin_memory().to(Model.Device, non_blocking: true);

    private void ClearGradients()
    {
        foreach (var (_, parameter) in Model.NamedTensors())
        {
            parameter.grad?.Dispose();
            parameter.grad = null;
        }
    }

    public void Dispose()
    {
        _clipNorm?.Dispose();
        MlpOptimizer.Dispose();
        EmbeddingOptimizer?.Dispose();
        EmbeddingsAsDense?.Dispose();
        _skippedSteps.Dispose();
        _lossSum.Dispose();
        _lossSamples.Dispose();
        _gradientNormSum.Dispose();
        _gradientNormSteps.Dispose();
    }
}
