namespace Recurring.Daemon.Status;

/// <summary>
/// The training loop's pulse. Whatever the daemon is doing (restoring, waiting for the brokers, training offline or
/// from the stream, idling on an empty topic, paused), the code doing it beats at least every few seconds; liveness fails
/// when it has been silent too long (Admin:LivenessTimeoutSeconds), so a wedged trainer (a write that never returns, a
/// lock that is never released) gets the process restarted. Only a checkpoint write and a restore go long without a
/// beat, which is what the timeout must outlast.
/// </summary>
public sealed class Heartbeat(TimeProvider time)
{
    private long _last = time.GetTimestamp();

    public void Beat() => Interlocked.Exchange(ref _last, time.GetTimestamp());

    /// <summary>How long since the last beat (or since the process started).</summary>
    public TimeSpan Silence => time.GetElapsedTime(Interlocked.Read(ref _last));
}
