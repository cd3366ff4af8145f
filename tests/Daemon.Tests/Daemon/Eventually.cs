namespace Recurring.Daemon.Tests.Daemon;

/// <summary>Polls a condition until it holds or a deadline passes: the tests never sleep for a fixed time to wait.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>The first value of <paramref name="probe"/> that satisfies <paramref name="done"/>; fails with the last one described.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, Func<T, string> describe, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:F0} s waiting until {what}; last seen: {describe(value)}");
            await Task.Delay(Interval);
        }
    }

    public static Task<T> Until<T>(Func<T> probe, Func<T, bool> done, string what, Func<T, string> describe, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(probe()), done, what, describe, timeout);
}
