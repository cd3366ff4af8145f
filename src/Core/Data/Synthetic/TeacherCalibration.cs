namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// Chooses scale and bias of the teacher's logit, bias + scale · z, so that on a sample of teacher scores z the
/// expected AUC and the mean click probability hit their targets.
/// </summary>
/// <remarks>
/// <para>
/// Expected AUC without labels: if event i clicks with probability pᵢ, the AUC's numerator counts pairs of a
/// clicked i and an unclicked j with sᵢ &gt; sⱼ (ties count ½), so its expectation is
/// Σ_{i≠j, sᵢ&gt;sⱼ} pᵢ(1 − pⱼ) + ½ Σ_{i≠j, sᵢ=sⱼ} pᵢ(1 − pⱼ). Dividing by the expected number of
/// (clicked, unclicked) pairs, Σ_{i≠j} pᵢ(1 − pⱼ), gives the ratio of expectations, which matches the expected
/// AUC closely for samples of thousands of events. After sorting by score once, one sweep that accumulates
/// Σ(1 − pⱼ) below the current group of tied scores evaluates it in O(n).
/// </para>
/// <para>
/// The ranking by z does not depend on the scale, and the scale alone controls how far apart the probabilities of
/// high and low scores are, so the expected AUC grows with the scale from ½ at scale 0. The calibration therefore
/// doubles the scale until it overshoots the target AUC and then bisects. For every scale it tries, it first solves
/// for the bias that makes the mean probability equal to the target click rate: the mean of σ(b + scale · z) rises
/// monotonically in b, so Newton's method, safeguarded by bisection inside a bracket that is known to contain
/// the root, finds it in a few steps.
/// </para>
/// </remarks>
internal static class TeacherCalibration
{
    private const double LargestScale = 1 << 20;

    /// <summary>Relative precision of the scale; far finer than the sampling error of any AUC measured on it.</summary>
    private const double ScaleTolerance = 1e-7;

    public static (double Scale, double Bias) Calibrate(IEnumerable<double> scores, double targetAuc, double targetClickRate)
    {
        double[] sortedScores = scores.Order().ToArray();
        var probabilities = new double[sortedScores.Length];

        double lowScale = 0;
        double highScale = 1;
        double bias = Logistic.Logit(targetClickRate);
        while (AucAt(highScale) < targetAuc)
        {
            lowScale = highScale;
            highScale *= 2;
            if (highScale > LargestScale)
                throw new InvalidOperationException(
                    $"The teacher cannot reach an expected AUC of {targetAuc}: at scale {LargestScale} it reaches only {AucAt(LargestScale):F4}. " +
                    "Too many events share a score; give the teacher more signal (strengths, cardinalities).");
        }

        while (highScale - lowScale > ScaleTolerance * highScale)
        {
            double middle = (lowScale + highScale) / 2;
            if (AucAt(middle) < targetAuc)
                lowScale = middle;
            else
                highScale = middle;
        }

        double scale = (lowScale + highScale) / 2;
        return (scale, SolveBias(sortedScores, scale, targetClickRate, bias));

        double AucAt(double candidateScale)
        {
            bias = SolveBias(sortedScores, candidateScale, targetClickRate, bias);
            for (int i = 0; i < sortedScores.Length; i++)
                probabilities[i] = Logistic.Sigmoid(bias + candidateScale * sortedScores[i]);
            return ExpectedAuc(sortedScores, probabilities);
        }
    }

    /// <summary>
    /// The expected AUC of <paramref name="sortedScores"/> (ascending) when event i clicks with probability
    /// <paramref name="probabilities"/>[i] (see the class remarks).
    /// </summary>
    public static double ExpectedAuc(ReadOnlySpan<double> sortedScores, ReadOnlySpan<double> probabilities)
    {
        double expectedClicks = 0;
        double expectedNonClicks = 0;
        double selfPairs = 0;
        double orderedPairs = 0;
        double nonClicksBelow = 0;

        for (int groupStart = 0; groupStart < sortedScores.Length;)
        {
            int groupEnd = groupStart;
            double groupClicks = 0;
            double groupNonClicks = 0;
            double groupSelfPairs = 0;
            while (groupEnd < sortedScores.Length && sortedScores[groupEnd] == sortedScores[groupStart])
            {
                double p = probabilities[groupEnd];
                groupClicks += p;
                groupNonClicks += 1 - p;
                groupSelfPairs += p * (1 - p);
                groupEnd++;
            }

            orderedPairs += groupClicks * nonClicksBelow + (groupClicks * groupNonClicks - groupSelfPairs) / 2;
            nonClicksBelow += groupNonClicks;
            expectedClicks += groupClicks;
            expectedNonClicks += groupNonClicks;
            selfPairs += groupSelfPairs;
            groupStart = groupEnd;
        }

        return orderedPairs / (expectedClicks * expectedNonClicks - selfPairs);
    }

    /// <summary>The bias b with mean σ(b + scale · z) = <paramref name="targetClickRate"/>, searched from <paramref name="guess"/>.</summary>
    private static double SolveBias(double[] sortedScores, double scale, double targetClickRate, double guess)
    {
        // σ(b + scale·z) lies between σ(b + scale·min z) and σ(b + scale·max z), so the root lies in this bracket.
        double low = Logistic.Logit(targetClickRate) - scale * sortedScores[^1];
        double high = Logistic.Logit(targetClickRate) - scale * sortedScores[0];
        double bias = Math.Clamp(guess, low, high);
        double tolerance = 1e-12 * sortedScores.Length;

        while (high - low > 1e-12)
        {
            double excess = -targetClickRate * sortedScores.Length;
            double slope = 0;
            foreach (double score in sortedScores)
            {
                double p = Logistic.Sigmoid(bias + scale * score);
                excess += p;
                slope += p * (1 - p);
            }

            if (Math.Abs(excess) <= tolerance)
                break;
            if (excess < 0)
                low = bias;
            else
                high = bias;

            double newton = bias - excess / slope;
            bias = newton > low && newton < high ? newton : (low + high) / 2;
        }
        return bias;
    }
}
