using Recurring.Core.Data;
using Recurring.Core.Metrics;

namespace Recurring.Core.Training;

/// <summary>Model and Bayes-optimal figures on one evaluation set.</summary>
public sealed record EvaluationResult(ClickMetrics Model, ClickMetrics? Bayes);

/// <summary>
/// A held-out set kept in memory as ready-made batches, with the teacher's probabilities when the data is synthetic,
/// so the model can be compared with the best possible predictor on exactly the same events.
/// </summary>
public sealed class EvaluationSet
{
    private readonly List<FeatureBatch> _batches;
    private readonly float[] _labels;

    private EvaluationSet(List<FeatureBatch> batches, float[] labels, float[]? trueProbabilities)
    {
        _batches = batches;
        _labels = labels;
        Bayes = trueProbabilities is null ? null : ClickMetrics.Compute(trueProbabilities, labels);
    }

    public int Count => _labels.Length;

    /// <summary>The events in the order read, each batch with its labels: for replaying the set as a stream.</summary>
    public IReadOnlyList<FeatureBatch> Batches => _batches;

    /// <summary>Metrics of the true probabilities on this set (synthetic data only).</summary>
    public ClickMetrics? Bayes { get; }

    /// <param name="encoder">The model's (<see cref="Model.DlrmModel.Encoder"/>): its schema is the source's.</param>
    public static EvaluationSet Collect(IClickEventSource source, int maxEvents, FeatureEncoder encoder, int batchSize)
    {
        var batches = new List<FeatureBatch>();
        var labels = new List<float>(maxEvents);
        var probabilities = new List<float>(maxEvents);
        bool allKnown = true;
        var e = new ClickEvent(encoder.Schema);
        FeatureBatch? current = null;
        while (labels.Count < maxEvents && source.TryRead(e, out var probability))
        {
            if (current is null || current.IsFull)
            {
                current = new FeatureBatch(encoder.Schema, Math.Min(batchSize, maxEvents - labels.Count));
                batches.Add(current);
            }
            current.Add(e, encoder);
            labels.Add(e.Label ? 1f : 0f);
            allKnown &= !double.IsNaN(probability);
            probabilities.Add((float)probability);
        }
        return new EvaluationSet(batches, labels.ToArray(), allKnown && labels.Count > 0 ? probabilities.ToArray() : null);
    }

    public EvaluationResult Evaluate(DlrmTrainer trainer)
    {
        var scores = new float[Count];
        int offset = 0;
        foreach (var batch in _batches)
        {
            trainer.Predict(batch).CopyTo(scores, offset);
            offset += batch.Count;
        }
        return new EvaluationResult(ClickMetrics.Compute(scores, _labels), Bayes);
    }
}
