namespace Recurring.Core.Metrics;

/// <summary>
/// Quality of click probabilities on a set of events. See <see cref="BinaryMetrics"/> for the definitions.
/// <paramref name="MeanPrediction"/> next to <paramref name="ClickRate"/> is the calibration: a well calibrated
/// model predicts as many clicks on average as there are.
/// </summary>
public sealed record ClickMetrics(int Count, double ClickRate, double Auc, double LogLoss, double NormalizedEntropy, double MeanPrediction)
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
            BinaryMetrics.NormalizedEntropy(logLoss, clickRate),
            Mean(probabilities));
    }

    /// <summary>NaN when empty, like the click rate.</summary>
    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values) sum += value;
        return sum / values.Length;
    }
}
