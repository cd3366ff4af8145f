namespace Recurring.Daemon;

public static class PeriodicTimerExtensions
{
    /// <summary>
    /// Waits for the next tick; false once stopping. Cancellation is how the host says stop (also when its start
    /// failed), not a failure, so a background loop ends quietly on it.
    /// </summary>
    public static async Task<bool> WaitForNextTickOrStopAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
