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
/// update is multiplied by zero on the device) and counted, so a poisoned batch can never reach the weights.
/// </summary>
public sealed class DlrmTrainer : IDisposable
{
    private readonly Tensor _skippedSteps;
    private readonly Tensor _lossSum;
    private readonly Tensor _lossSamples;
    private long _steps;
    private long _samples;

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
    }

    public DlrmModel Model { get; }
    public OptimizerOptions Options { get; }
    public MlpOptimizer MlpOptimizer { get; }
    public RowWiseAdagrad? EmbeddingOptimizer { get; }

    /// <summary>Only for <see cref="EmbeddingUpdateKind.DenseAdagrad"/>.</summary>
    private MlpOptimizer? EmbeddingsAsDense { get; }

    public long Steps => _steps;
    public long Samples => _samples;

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
        var (dense, rows, labels) = ToDevice(batch);
        RowGather? gather = null;
        Tensor embedded;
        if (EmbeddingOptimizer is not null)
        {
            gather = Model.Embeddings.GatherDistinctRows(rows);
            embedded = gather.Embedded;
        }
        else
        {
            embedded = Model.Embeddings.Lookup(rows);
        }

        var logits = Model.Forward(dense, embedded);
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, labels);
        var penalty = regularizer?.Invoke();
        (penalty is null ? loss : loss.add(penalty, HeldScalars.One)).backward();

        var finite = isfinite(loss);
        foreach (var (_, parameter) in Model.Bottom.Parameters().Concat(Model.Top.Parameters()))
            finite = finite.logical_and(isfinite(parameter.grad!).all());
        if (gather is not null) finite = finite.logical_and(isfinite(gather.Values.grad!).all());

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
        var (dense, rows, _) = ToDevice(batch);
        var probabilities = Model.Forward(dense, Model.Embeddings.Lookup(rows)).sigmoid();
        return probabilities.to(CPU).data<float>().ToArray();
    }

    /// <summary>Reads the running totals back (one device synchronisation).</summary>
    public TrainingTotals ReadTotals() =>
        new(_steps, _samples, _skippedSteps.item<long>(), _lossSum.item<double>(), _lossSamples.item<long>());

    /// <summary>Starts a new window for <see cref="TrainingTotals.MeanLoss"/>.</summary>
    public void ResetLossWindow()
    {
        _lossSum.zero_();
        _lossSamples.zero_();
    }

    private (Tensor Dense, Tensor Rows, Tensor Labels) ToDevice(FeatureBatch batch)
    {
        // Whole buffers narrowed to the batch: no managed copy per step, which also keeps GC pressure low.
        int count = batch.Count;
        var dense = tensor(batch.Dense, [batch.Capacity, FeatureBatch.DenseWidth]).narrow(0, 0, count);
        var rows = tensor(batch.Rows, [batch.Capacity, FeatureBatch.TableCount]).narrow(0, 0, count);
        var labels = tensor(batch.Labels, [batch.Capacity]).narrow(0, 0, count);
        var device = Model.Device;
        if (device.type == DeviceType.CPU) return (dense, rows, labels);
        // To a GPU: through page-locked memory, asynchronously, so the copy overlaps the previous step's kernels.
        // libtorch's pinned allocator only reuses a block once the copy that read it has completed, so the host
        // buffers are free to be refilled for the next batch at once.
        return (ToDeviceAsync(dense, device), ToDeviceAsync(rows, device), ToDeviceAsync(labels, device));
    }

    private static Tensor ToDeviceAsync(Tensor host, Device device) => host.contiguous().pin_memory().to(device, non_blocking: true);

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
        MlpOptimizer.Dispose();
        EmbeddingOptimizer?.Dispose();
        EmbeddingsAsDense?.Dispose();
        _skippedSteps.Dispose();
        _lossSum.Dispose();
        _lossSamples.Dispose();
    }
}
