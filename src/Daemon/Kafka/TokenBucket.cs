namespace Recurring.Daemon.Kafka;

/// <summary>
/// Smooth pacing: tokens accrue at a steady rate, up to a small burst, and each event takes one. A burst of a few
/// tens of milliseconds keeps the output even while letting a timer that only wakes every millisecond or so still
/// reach high rates.
/// </summary>
public sealed class TokenBucket
{
    private static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(1);

    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _tokens = 1;
    private long _lastRefill;

    /// <param name="burst">How much time's worth of tokens may pile up while nobody takes any.</param>
    public TokenBucket(double ratePerSecond, TimeSpan burst, TimeProvider time)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond))
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "The rate must be a positive number.");
        _ratePerSecond = ratePerSecond;
        _capacity = Math.Max(1, ratePerSecond * burst.TotalSeconds);
        _time = time;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>Takes a token when one is there; otherwise <paramref name="wait"/> says how long until one is.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + _time.GetElapsedTime(_lastRefill, now).TotalSeconds * _ratePerSecond);
        _lastRefill = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            wait = TimeSpan.Zero;
            return true;
        }
        wait = TimeSpan.FromSeconds((1 - _tokens) / _ratePerSecond);
        return false;
    }

    public async ValueTask TakeAsync(CancellationToken cancellationToken)
    {
        // Delays under a millisecond complete at once, which turned the wait into a busy loop that starved the
        // process; sleeping a whole millisecond lets tokens pile up and the burst absorbs the difference.
        while (!TryTake(out var wait)) await Task.Delay(wait < MinimumSleep ? MinimumSleep : wait, _time, cancellationToken);
    }
}
