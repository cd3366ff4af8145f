using Microsoft.Extensions.Hosting;

namespace Recurring.Daemon;

public static class HostLifetimeExtensions
{
    /// <summary>
    /// Completes once every hosted service has started (and the start line is out), so what a background service
    /// says or does comes after it.
    /// </summary>
    public static async Task WaitForStartAsync(this IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(cancellationToken);
    }
}
