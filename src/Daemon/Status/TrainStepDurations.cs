namespace Recurring.Daemon.Status;

/// <summary>
/// How long each training step took, as it happens: the one part of the status that is a stream of observations
/// rather than a state, for the train-step duration histogram. The phase that trains records, the metrics listen.
/// </summary>
public sealed class TrainStepDurations
{
    public event Action<TimeSpan>? Recorded;

    public void Record(TimeSpan duration) => Recorded?.Invoke(duration);
}
