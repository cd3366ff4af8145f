namespace Recurring.Core.Metrics;

/// <summary>
/// Prequential (predict, then learn) evaluation of a stream: metrics over the last <see cref="WindowSize"/>
/// events, to see the current quality, plus running totals since the start. Not thread-safe.
/// </summary>
public sealed class SlidingWindowMetrics
{
    // A ring buffer: once full, each event overwrites the oldest. The metrics do not depend on event order.
    private readonly float[] _probabilities;
    private readonly float[] _labels;
    private int _nextSlot;
    private int _windowCount;
    private double _logLossSum;
    private long _clicks;

    public SlidingWindowMetrics(int windowSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSize, 1);
        _probabilities = new float[windowSize];
        _labels = new float[windowSize];
    }

    public int WindowSize => _probabilities.Length;

    /// <summary>Events added since construction.</summary>
    public long TotalCount { get; private set; }

    /// <summary>Mean log loss of every event added (clamped as in <see cref="BinaryMetrics.LogLoss(double, bool)"/>); NaN before the first.</summary>
    public double CumulativeLogLoss => _logLossSum / TotalCount;

    /// <summary>Click rate of every event added; NaN before the first.</summary>
    public double CumulativeClickRate => (double)_clicks / TotalCount;

    /// <summary><see cref="CumulativeLogLoss"/> over the entropy of <see cref="CumulativeClickRate"/>.</summary>
    public double CumulativeNormalizedEntropy => BinaryMetrics.NormalizedEntropy(CumulativeLogLoss, CumulativeClickRate);

    /// <summary>Records a prediction and the outcome that followed it. Allocates nothing.</summary>
    public void Add(float probability, bool clicked)
    {
        _logLossSum += BinaryMetrics.LogLoss(probability, clicked);
        _clicks += clicked ? 1 : 0;
        TotalCount++;

        _probabilities[_nextSlot] = probability;
        _labels[_nextSlot] = clicked ? 1 : 0;
        _nextSlot = (_nextSlot + 1) % WindowSize;
        _windowCount = Math.Min(_windowCount + 1, WindowSize);
    }

    /// <summary>Metrics over the most recent <see cref="WindowSize"/> events (fewer until that many have been added).</summary>
    public ClickMetrics Window() => ClickMetrics.Compute(_probabilities.AsSpan(0, _windowCount), _labels.AsSpan(0, _windowCount));
}
