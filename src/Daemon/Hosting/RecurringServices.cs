using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Offline;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Hosting;

/// <summary>
/// The daemon's composition root: every collaborator of training registered once, one method per concern. The host,
/// the admin endpoints, the benchmarks and the commands all resolve their parts from these registrations.
/// </summary>
public static class RecurringServices
{
    /// <summary>
    /// Everything training needs, its options bound from <paramref name="configuration"/> and validated when the host
    /// starts (<see cref="RecurringOptions.AddRecurringOptions"/>); the host adds its own services on top.
    /// </summary>
    public static IServiceCollection AddRecurring(this IServiceCollection services, IConfiguration configuration) =>
        services.AddRecurringOptions(configuration)
            .AddRecurringParts(configuration.GetSection(CheckpointOptions.Section).Get<CheckpointOptions>() ?? new CheckpointOptions());

    /// <summary>The same, for a command or benchmark that loaded and validated its <paramref name="settings"/> already.</summary>
    public static IServiceCollection AddRecurring(this IServiceCollection services, RecurringSettings settings)
    {
        services.AddSingleton(settings);
        foreach (var section in RecurringOptions.Sections) services.AddSingleton(section.OptionsType, settings.Of(section.OptionsType));
        return services.AddRecurringParts(settings.Checkpoints);
    }

    /// <param name="checkpoints">Which services exist depends on it: the remote store and its replication only when
    /// Checkpoints:Remote names one.</param>
    private static IServiceCollection AddRecurringParts(this IServiceCollection services, CheckpointOptions checkpoints)
    {
        services.TryAddSingleton(TimeProvider.System);
        return services
            .AddRecurringStatus()
            .AddRecurringCheckpoints(checkpoints)
            .AddRecurringKafka()
            .AddRecurringTraining();
    }

    /// <summary>One cell per part of the status, each handed to its one writer, and the snapshot that reads them all.</summary>
    public static IServiceCollection AddRecurringStatus(this IServiceCollection services)
    {
        services.AddSingleton(new StatusCell<ActivityState>(new ActivityState()));
        services.AddSingleton(new StatusCell<ModelState>(new ModelState()));
        services.AddSingleton(new StatusCell<OfflineState>(new OfflineState()));
        services.AddSingleton(new StatusCell<StreamingState>(new StreamingState()));
        services.AddSingleton(new StatusCell<ReaderState>(new ReaderState()));
        services.AddSingleton(new StatusCell<CheckpointState>(new CheckpointState()));
        services.AddSingleton(new StatusCell<DeadLetterState>(new DeadLetterState()));
        services.AddSingleton<DaemonStatus>();
        services.AddSingleton<TrainStepDurations>();
        services.AddSingleton<Heartbeat>();
        services.AddSingleton<StreamingStatus>();
        services.AddSingleton<OfflineStatus>();
        return services;
    }

    /// <summary>
    /// The checkpoint store from Checkpoints:*, the writer and what observes it (retention, announcements, remote copies),
    /// and with Checkpoints:Deltas the delta writer, which follows every checkpoint written.
    /// </summary>
    public static IServiceCollection AddRecurringCheckpoints(this IServiceCollection services, CheckpointOptions checkpoints)
    {
        services.AddSingleton(provider => CheckpointManager.ForDirectory(provider.GetRequiredService<CheckpointOptions>(),
            provider.GetRequiredService<ILogger<CheckpointManager>>()));
        services.AddSingleton<CheckpointWriter>();
        services.AddSingleton<ICheckpointObserver, RetentionObserver>();
        if (checkpoints.Deltas)
        {
            services.AddSingleton<DeltaWriter>();
            services.AddSingleton<ICheckpointObserver>(provider => provider.GetRequiredService<DeltaWriter>());
        }
        return checkpoints.Remote.Enabled ? services.AddRecurringRemoteCheckpoints() : services;
    }

    /// <summary>
    /// For Checkpoints:Remote:Kind other than none: the object store, the replicator that copies each checkpoint there in
    /// the background, and its loop. Restore, readiness, metrics and announcements find the replicator when it is registered.
    /// </summary>
    public static IServiceCollection AddRecurringRemoteCheckpoints(this IServiceCollection services)
    {
        services.AddSingleton(provider => RemoteCheckpointStore.Open(provider.GetRequiredService<CheckpointOptions>(),
            loggers: provider.GetRequiredService<ILoggerFactory>(), logRetries: false, local: provider.GetRequiredService<CheckpointManager>()));
        services.AddSingleton(provider => new CheckpointReplicator(provider.GetRequiredService<RemoteCheckpointStore>(),
            provider.GetRequiredService<ILogger<CheckpointReplicator>>(), provider.GetRequiredService<TimeProvider>(), provider.GetServices<IRemoteCopyObserver>()));
        services.AddSingleton<ICheckpointObserver, RemoteCopyObserver>();
        services.AddHostedService<RemoteReplicationService>();
        return services;
    }

    /// <summary>The brokers (or the embedded ones, started on first use), dead letters, and announcements when Kafka:ModelUpdatesTopic is set.</summary>
    public static IServiceCollection AddRecurringKafka(this IServiceCollection services)
    {
        services.AddSingleton<KafkaEndpoint>();
        services.AddSingleton(DeadLetterSink);
        services.AddHostedService<DeadLetterSinkCheck>();
        // Told of local checkpoints, and of remote copies when there is a store: it announces each once.
        services.AddSingleton<ModelUpdateAnnouncer>();
        services.AddSingleton<ICheckpointObserver>(provider => provider.GetRequiredService<ModelUpdateAnnouncer>());
        services.AddSingleton<IRemoteCopyObserver>(provider => provider.GetRequiredService<ModelUpdateAnnouncer>());
        services.AddSingleton<IDeltaObserver>(provider => provider.GetRequiredService<ModelUpdateAnnouncer>());
        return services;
    }

    /// <summary>The offline runner, the streaming pipeline and the control routes' handle on it.</summary>
    public static IServiceCollection AddRecurringTraining(this IServiceCollection services)
    {
        services.AddSingleton<OfflineRunner>();
        services.AddSingleton<TrainingControl>();
        services.AddSingleton<StreamingPipeline>();
        return services;
    }

    /// <summary>
    /// Kafka:DeadLetterTopic when set, else the JSON-lines file Streaming:DeadLetterFile; either falls back to the
    /// quarantine file when it fails (<see cref="QuarantiningDeadLetterSink"/>).
    /// </summary>
    private static IDeadLetterSink DeadLetterSink(IServiceProvider provider)
    {
        var kafka = provider.GetRequiredService<KafkaOptions>();
        var streaming = provider.GetRequiredService<StreamingOptions>();
        IDeadLetterSink sink;
        if (kafka.DeadLetterTopic.Length == 0)
        {
            sink = new FileDeadLetterSink(streaming.DeadLetterFile);
        }
        else
        {
            var endpoint = provider.GetRequiredService<KafkaEndpoint>().Options;
            var logger = provider.GetRequiredService<ILogger<KafkaDeadLetterSink>>();
            sink = new KafkaDeadLetterSink(endpoint.ToProducerConfig(), endpoint.DeadLetterTopic,
                KafkaResilience.CreateRetryPipeline(endpoint.Retry, logger, "dead letter"), logger);
        }
        return new QuarantiningDeadLetterSink(sink, new FileDeadLetterSink(streaming.QuarantineFilePath), provider.GetRequiredService<StatusCell<DeadLetterState>>(),
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<QuarantiningDeadLetterSink>>());
    }
}
