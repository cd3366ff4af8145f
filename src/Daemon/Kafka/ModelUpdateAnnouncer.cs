using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Announces each streaming checkpoint, and each delta (Checkpoints:Deltas), on Kafka:ModelUpdatesTopic, when that is set, for whoever serves the model. With an object store (Checkpoints:Remote) the announcement waits for the remote copy to be
/// complete and carries its URI, since a serving pod cannot read the trainer's volume; without one it goes out as
/// soon as the checkpoint is written locally. The producer is created with the first announcement, so the brokers are
/// not touched before.
/// </summary>
public sealed class ModelUpdateAnnouncer(KafkaOptions configured, KafkaEndpoint kafka, CheckpointOptions checkpoints, ILoggerFactory loggers)
    : ICheckpointObserver, IRemoteCopyObserver, IDeltaObserver, IDisposable
{
    private readonly Lazy<ModelUpdatePublisher> _publisher = new(() =>
    {
        var options = kafka.Options;
        var logger = loggers.CreateLogger<ModelUpdatePublisher>();
        return new ModelUpdatePublisher(options.ToProducerConfig(), options.ModelUpdatesTopic,
            KafkaResilience.CreateRetryPipeline(options.Retry, logger, "model update"), logger);
    });

    public Task OnWrittenAsync(CheckpointWritten checkpoint, CancellationToken cancellationToken) =>
        checkpoints.Remote.Enabled ? Task.CompletedTask : AnnounceAsync(checkpoint.Manifest, checkpoint.Path, remoteUri: null, cancellationToken);

    public Task OnCopiedAsync(RemoteCheckpointCopy copy, CancellationToken cancellationToken) =>
        AnnounceAsync(copy.Manifest, copy.LocalPath, copy.Uri, cancellationToken);

    /// <summary>Deltas are local only (Checkpoints:Deltas refuses Remote), so they go out as soon as they are written.</summary>
    public async Task OnDeltaWrittenAsync(DeltaWritten delta, CancellationToken cancellationToken)
    {
        if (configured.ModelUpdatesTopic.Length == 0) return;
        var manifest = delta.Manifest;
        await _publisher.Value.PublishAsync(new ModelUpdate(manifest.Id, delta.Path, manifest.Counters.Steps, manifest.Counters.Samples,
            new DateTimeOffset(manifest.CreatedUtc, TimeSpan.Zero), manifest.Metrics)
        {
            Kind = ModelUpdate.DeltaKind,
            BaseCheckpointId = manifest.BaseId,
            PreviousId = manifest.PreviousId,
        }, cancellationToken);
    }

    private async Task AnnounceAsync(CheckpointManifest manifest, string localPath, string? remoteUri, CancellationToken cancellationToken)
    {
        if (configured.ModelUpdatesTopic.Length == 0 || manifest.Stage.Kind != TrainingStage.Streaming) return;
        await _publisher.Value.PublishAsync(new ModelUpdate(manifest.Id, localPath, manifest.Counters.Steps, manifest.Counters.Samples,
            new DateTimeOffset(manifest.CreatedUtc, TimeSpan.Zero), manifest.Metrics) { RemoteUri = remoteUri }, cancellationToken);
    }

    public void Dispose()
    {
        if (_publisher.IsValueCreated) _publisher.Value.Dispose();
    }
}
