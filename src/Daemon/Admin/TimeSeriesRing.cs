namespace Recurring.Daemon.Admin;

/// <summary>One sample of a <see cref="TimeSeriesRing{T}"/>: when it was taken and what it holds.</summary>
public readonly record struct TimedSample<T>(DateTimeOffset At, T Value);

/// <summary>
/// The newest <see cref="Capacity"/> samples, oldest first: a fixed array written round, so the memory it holds is
/// bounded however long the daemon runs. Thread-safe: one sampler adds while HTTP requests read.
/// </summary>
public sealed class TimeSeriesRing<T>
{
    private readonly TimedSample<T>[] _samples;
    private readonly object _gate = new();
    private int _next;
    private int _count;

    public TimeSeriesRing(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring holds at least one sample.");
        _samples = new TimedSample<T>[capacity];
    }

    public int Capacity => _samples.Length;

    public int Count
    {
        get
        {
            lock (_gate) return _count;
        }
    }

    /// <summary>Appends a sample, dropping the oldest once the ring is full. Samples must come in time order.</summary>
    public void Add(DateTimeOffset at, T value)
    {
        lock (_gate)
        {
            _samples[_next] = new TimedSample<T>(at, value);
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
        }
    }

    /// <summary>The samples taken strictly after <paramref name="after"/> (all of them for null), oldest first.</summary>
    public IReadOnlyList<TimedSample<T>> Since(DateTimeOffset? after)
    {
        lock (_gate)
        {
            int oldest = (_next - _count + _samples.Length) % _samples.Length;
            var result = new List<TimedSample<T>>();
            for (int i = 0; i < _count; i++)
            {
                var sample = _samples[(oldest + i) % _samples.Length];
                if (after is null || sample.At > after) result.Add(sample);
            }
            return result;
        }
    }
}
