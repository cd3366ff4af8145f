namespace Recurring.Core.Metrics;

/// <summary>Quality of click probabilities on a set of events. See <see cref="BinaryMetrics"/> for the definitions.</summary>
public sealed record ClickMetrics(int Count, double ClickRate, double Auc, double LogLoss, double NormalizedEntropy)
{
    /// <summary>All metrics of <paramref name="probabilities"/> against 0/1 <paramref name="labels"/>; NaN where undefined (for example AUC with one class).</summary>
    public static ClickMetrics Compute(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels)
    {
        double clickRate = BinaryMetrics.ClickRate(labels);
        double logLoss = BinaryMetrics.LogLoss(probabilities, labels);
        return new ClickMetrics(
            probabilities.Length,
            clickRate,
            BinaryMetrics.Auc(probabilities, labels),
            logLoss,
            BinaryMetrics.NormalizedEntropy(logLoss, clickRate));
    }
}
