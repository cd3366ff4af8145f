namespace Recurring.Core.Metrics;

/// <summary>
/// A model's metrics next to those of the Bayes-optimal predictor on the same events: the true click probabilities
/// that a synthetic teacher drew the labels from. The gaps measure how much a better model could still gain.
/// </summary>
public sealed record BayesComparison(ClickMetrics Model, ClickMetrics Bayes)
{
    /// <summary>Bayes AUC minus the model's AUC; about 0 for a perfect model (it can dip below 0 on a finite set).</summary>
    public double AucGap => Bayes.Auc - Model.Auc;

    /// <summary>The model's log loss minus the Bayes log loss, in nats.</summary>
    public double LogLossRegret => Model.LogLoss - Bayes.LogLoss;

    public static BayesComparison Compute(ReadOnlySpan<float> modelProbabilities, ReadOnlySpan<float> trueProbabilities, ReadOnlySpan<float> labels) =>
        new(ClickMetrics.Compute(modelProbabilities, labels), ClickMetrics.Compute(trueProbabilities, labels));
}
