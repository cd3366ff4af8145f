using Recurring.Checkpointing;

namespace Recurring.Daemon.Streaming;

/// <summary>Thrown when a control action does not apply to what the daemon is doing now.</summary>
public sealed class NotNowException(string message) : InvalidOperationException(message);

/// <summary>
/// What the admin API can ask of the training: pause, resume, checkpoint now. Only meaningful while streaming; the
/// <see cref="StreamingPipeline"/> attaches its reader and trainer for as long as it runs.
/// </summary>
public sealed class TrainingControl
{
    private volatile KafkaEventReader? _reader;
    private volatile StreamingTrainer? _trainer;

    internal void Attach(KafkaEventReader reader, StreamingTrainer trainer)
    {
        _reader = reader;
        _trainer = trainer;
    }

    internal void Detach()
    {
        _reader = null;
        _trainer = null;
    }

    public void Pause() => (_reader ?? throw NotStreaming()).Pause();

    public void Resume() => (_reader ?? throw NotStreaming()).Resume();

    public Task<CheckpointInfo> CheckpointNowAsync(CancellationToken cancellationToken) =>
        (_trainer ?? throw NotStreaming()).RequestCheckpointAsync(cancellationToken);

    private static NotNowException NotStreaming() => new("The daemon is not streaming yet (or any more).");
}
