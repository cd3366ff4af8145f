using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Training;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Streaming;

/// <summary>
/// Recurring training from start to stop, wired once for the daemon and the streaming benchmark: a Kafka reader
/// positioned where the model stands, a <see cref="StreamingTrainer"/> taking its batches, the checkpoints' positions
/// committed back through the reader, the control routes attached while it runs; at stop the reader hands over what it
/// read, the trainer writes its last checkpoint, and the reader commits that and leaves the group.
/// </summary>
public sealed class StreamingPipeline(
    KafkaEndpoint kafka,
    StreamingOptions options,
    IDeadLetterSink deadLetters,
    CheckpointWriter checkpoints,
    CheckpointOptions schedule,
    StatusCell<ReaderState> readerState,
    StreamingStatus status,
    TrainingControl control,
    TimeProvider time,
    ILoggerFactory loggers,
    DeltaWriter? deltas = null)
{
    private readonly ILogger _logger = loggers.CreateLogger<StreamingPipeline>();

    /// <summary>
    /// Trains <paramref name="trainer"/> from the stream until <paramref name="stopping"/>, resuming at the positions
    /// of <paramref name="restored"/> when it is a streaming checkpoint. What was read by then is still trained and
    /// dead-lettered; <paramref name="abandon"/> gives up on dead-letter writes that cannot complete.
    /// </summary>
    /// <returns>The trainer's counters and positions, once its last checkpoint is durable and committed.</returns>
    /// <exception cref="IncompleteStopException">The stop could not checkpoint everything consumed; nothing was committed.</exception>
    /// <exception cref="StartRefusedException">The checkpoint's positions were read from another cluster or topic (see
    /// <see cref="KafkaOptions.ResetPositions"/>).</exception>
    public async Task<StreamingTrainer> RunAsync(DlrmTrainer trainer, CheckpointManifest? restored, CancellationToken stopping, CancellationToken abandon)
    {
        var kafkaOptions = kafka.Options;
        var source = await kafka.WaitForSourceAsync(stopping);
        restored = WithUsablePositions(restored, source, kafkaOptions);
        var streaming = new StreamingTrainer(trainer, restored, options, deadLetters, checkpoints, new CheckpointScheduler(schedule, time), status, time,
            loggers.CreateLogger<StreamingTrainer>(), deltas) { Source = source };
        var start = streaming.Positions;
        using var reader = new KafkaEventReader(kafkaOptions, options, trainer.Model.Encoder, start, readerState,
            loggers.CreateLogger<KafkaEventReader>());
        _logger.LogInformation("Streaming from {Topic} ({Positions})", kafkaOptions.Topic,
            start.Count == 0 ? $"new partitions start at {kafkaOptions.StartFrom}" : string.Join(", ", start.Select(p => $"{p.Partition}@{p.NextOffset}")));

        reader.Start(stopping);
        control.Attach(reader, streaming);
        kafka.StartEmbeddedProducer(alreadyStreamed: streaming.EventsConsumed, () => streaming.EventsConsumed);
        try
        {
            var final = await streaming.RunAsync(reader.Items, reader, reader, abandon);
            await reader.CompleteAsync(final);
            return streaming;
        }
        finally
        {
            control.Detach();
        }
    }

    /// <summary>
    /// The restored checkpoint with the positions this stream can use. Offsets mean something only in the cluster and
    /// topic they were read from: positions from another one (a checkpoint of the embedded broker, a new cluster, a
    /// renamed topic) would skip or replay events, so the start is refused unless Kafka:ResetPositions drops them.
    /// </summary>
    private CheckpointManifest? WithUsablePositions(CheckpointManifest? restored, StreamSource source, KafkaOptions kafkaOptions)
    {
        if (restored?.Stage.Kind != TrainingStage.Streaming) return restored;
        if (kafka.IsEmbedded)
        {
            // The embedded broker lives and dies with this process: a restored checkpoint's offsets name a topic that is
            // gone. The new topic is read from its start, and the synthetic stream resumes after the events this model
            // already consumed (to within the partitions' lag at that checkpoint), so a restart does not replay them.
            _logger.LogInformation("Embedded broker: checkpoint {Id}'s positions belong to an earlier process's broker; the new topic is read from its start",
                restored.Id);
            return restored with { Positions = DataPositions.None };
        }
        var stored = restored.Positions.KafkaSource;
        if (stored is null || stored.Matches(source) || restored.Positions.Kafka.Count == 0)
        {
            if (kafkaOptions.ResetPositions)
                _logger.LogWarning("{Section}:{Key}=true has no effect: checkpoint {Id}'s positions were read from {Source}, as configured; remove the setting",
                    KafkaOptions.Section, nameof(KafkaOptions.ResetPositions), restored.Id, source);
            return restored;
        }
        if (!kafkaOptions.ResetPositions)
            throw new StartRefusedException(
                $"Checkpoint {restored.Id} holds positions in {stored}, but Kafka:BootstrapServers and Kafka:Topic name {source}: its offsets mean nothing " +
                $"there and would skip or replay events. Point Kafka at the cluster and topic the model was trained from, or set " +
                $"--{KafkaOptions.Section}:{nameof(KafkaOptions.ResetPositions)}=true to start every partition at {KafkaOptions.Section}:{nameof(KafkaOptions.StartFrom)} ({kafkaOptions.StartFrom}).");
        _logger.LogWarning("{Section}:{Key}=true: checkpoint {Id}'s positions in {Stored} are dropped; every partition of {Source} starts at {StartFrom}",
            KafkaOptions.Section, nameof(KafkaOptions.ResetPositions), restored.Id, stored, source, kafkaOptions.StartFrom);
        return restored with { Positions = DataPositions.None };
    }
}
