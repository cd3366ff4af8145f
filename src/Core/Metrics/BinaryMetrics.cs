using System.Buffers;

namespace Recurring.Core.Metrics;

/// <summary>
/// Click-prediction metrics over parallel spans of predicted click probabilities (or, for AUC, any scores) and
/// labels that are 0 (no click) or 1 (click). Losses and entropies are in nats.
/// </summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Log loss clamps probabilities to [ProbabilityFloor, 1 − ProbabilityFloor]. A single confident mistake would
    /// otherwise make the mean infinite, and float32 probabilities round to exactly 0 or 1 long before a model is
    /// truly certain; with this floor one event costs at most −ln 10⁻⁷ ≈ 16.1 nats.
    /// </summary>
    public const double ProbabilityFloor = 1e-7;

    /// <summary>
    /// The exact area under the ROC curve: the fraction of (click, non-click) pairs that the scores order
    /// correctly, with tied scores counting ½ (the Mann–Whitney statistic with mid-ranks). O(n log n).
    /// NaN when the labels hold only one class, since no pair exists.
    /// </summary>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        RequireSameLength(scores, labels);
        int count = scores.Length;
        float[] sortedScores = ArrayPool<float>.Shared.Rent(count);
        float[] sortedLabels = ArrayPool<float>.Shared.Rent(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (float.IsNaN(scores[i]))
                    throw new ArgumentException($"Score {i} is NaN, which has no rank.", nameof(scores));
                sortedScores[i] = scores[i];
                sortedLabels[i] = IsClick(labels[i]) ? 1 : 0;
            }
            var keys = sortedScores.AsSpan(0, count);
            keys.Sort(sortedLabels.AsSpan(0, count));

            double correctlyOrderedPairs = 0;
            long nonClicksBelow = 0;
            long clicks = 0;
            for (int groupStart = 0; groupStart < count;)
            {
                int groupEnd = groupStart;
                long groupClicks = 0;
                while (groupEnd < count && keys[groupEnd] == keys[groupStart])
                    groupClicks += (long)sortedLabels[groupEnd++];
                long groupNonClicks = groupEnd - groupStart - groupClicks;

                correctlyOrderedPairs += groupClicks * (nonClicksBelow + groupNonClicks / 2.0);
                nonClicksBelow += groupNonClicks;
                clicks += groupClicks;
                groupStart = groupEnd;
            }

            return clicks == 0 || nonClicksBelow == 0 ? double.NaN : correctlyOrderedPairs / ((double)clicks * nonClicksBelow);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sortedScores);
            ArrayPool<float>.Shared.Return(sortedLabels);
        }
    }

    /// <summary>Mean negative log-likelihood of the labels, with probabilities clamped by <see cref="ProbabilityFloor"/>. NaN when empty.</summary>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels)
    {
        RequireSameLength(probabilities, labels);
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
            sum += LogLoss(probabilities[i], IsClick(labels[i]));
        return sum / probabilities.Length;
    }

    /// <summary>Negative log-likelihood of one event, with the probability clamped by <see cref="ProbabilityFloor"/>.</summary>
    public static double LogLoss(double probability, bool clicked)
    {
        if (double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "A click probability cannot be NaN.");
        double clamped = Math.Clamp(probability, ProbabilityFloor, 1 - ProbabilityFloor);
        return -Math.Log(clicked ? clamped : 1 - clamped);
    }

    /// <summary>Fraction of events that are clicks. NaN when empty.</summary>
    public static double ClickRate(ReadOnlySpan<float> labels)
    {
        int clicks = 0;
        foreach (float label in labels)
        {
            if (IsClick(label))
                clicks++;
        }
        return (double)clicks / labels.Length;
    }

    /// <summary>
    /// Entropy of a Bernoulli variable with the given rate: the log loss of always predicting that rate, and so the
    /// loss of the best model that knows nothing but the click rate. 0 at rates 0 and 1; NaN for the NaN rate of
    /// an empty set.
    /// </summary>
    public static double BinaryEntropy(double rate)
    {
        if (rate < 0 || rate > 1)
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate must lie in [0, 1].");
        return rate is 0 or 1 ? 0 : -(rate * Math.Log(rate) + (1 - rate) * Math.Log(1 - rate));
    }

    /// <summary>
    /// Log loss divided by the entropy of the click rate of the same events: below 1 a model beats predicting the
    /// click rate. NaN when that entropy is 0 (all clicks or none), where no model can do better.
    /// </summary>
    public static double NormalizedEntropy(double logLoss, double clickRate)
    {
        double entropy = BinaryEntropy(clickRate);
        return entropy == 0 ? double.NaN : logLoss / entropy;
    }

    private static bool IsClick(float label) => label switch
    {
        1 => true,
        0 => false,
        _ => throw new ArgumentException($"Labels must be 0 or 1; got {label}.", "labels"),
    };

    private static void RequireSameLength(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        if (scores.Length != labels.Length)
            throw new ArgumentException($"Got {scores.Length} scores but {labels.Length} labels.", nameof(labels));
    }
}
