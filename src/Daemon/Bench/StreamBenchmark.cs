using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using static TorchSharp.torch;

namespace Recurring.Daemon.Bench;

public sealed record StreamMeasurement(
    long Events,
    int Partitions,
    int BatchSize,
    double ProduceEventsPerSecond,
    double EndToEndEventsPerSecond,
    double TrainerAloneEventsPerSecond)
{
    public double Ratio => EndToEndEventsPerSecond / TrainerAloneEventsPerSecond;
}

/// <summary>
/// Streaming throughput against the embedded Kafka-protocol broker: the daemon's own streaming pipeline, resolved from
/// the same registrations as the daemon (consume → parse → batch → score-then-train), over events produced beforehand,
/// and, in the same run, the trainer alone on the same events already parsed into batches of the same size. Both start
/// from identical fresh models.
/// </summary>
public sealed class StreamBenchmark(RecurringSettings settings, Device device, ILoggerFactory? loggers = null)
{
    /// <summary>
    /// The mock broker keeps ~5 MiB per partition: 20k Criteo TSV lines of ~260 bytes stay inside, as do 8k JSON events
    /// of ~520 bytes (more would be deleted before they are read).
    /// </summary>
    public static int EventsPerPartition(KafkaEventFormat format) => format == KafkaEventFormat.Json ? 8_000 : 20_000;

    /// <summary>
    /// Batches each path trains before its clock starts: joining the consumer group, the first steps' allocations and
    /// the JIT's tier-up of the parse and train code are paid once per process, not per event.
    /// </summary>
    public const int WarmupBatches = 8;

    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public async Task<StreamMeasurement> RunAsync(int partitions, CancellationToken cancellationToken)
    {
        long events = (long)partitions * EventsPerPartition(settings.Kafka.Format);
        int batchSize = settings.Streaming.MaxBatchSize;
        long warmup = (long)WarmupBatches * batchSize;
        if (events < 2 * warmup)
            throw new ArgumentException($"{partitions} partition(s) hold {events:N0} events, but the benchmark needs at least {2 * warmup:N0} " +
                                        $"({WarmupBatches} warm-up batches of Streaming:MaxBatchSize {batchSize:N0}, and as many timed): use more partitions.");
        var generator = new SyntheticClickGenerator(settings.Synthetic, settings.Schema);
        using var cluster = new EmbeddedKafkaCluster();
        const string topic = "bench-clicks";
        cluster.CreateTopic(topic, partitions);
        var kafka = settings.Kafka.WithBootstrapServers(cluster.BootstrapServers);
        kafka.Topic = topic;
        kafka.GroupId = "bench";

        double produceRate = await ProduceAsync(kafka, generator, events, cancellationToken);
        var parsed = Parse(generator, events, batchSize);
        // Trainer alone before and after end to end, averaged: neither side gets the machine's better moments.
        double aloneBefore = TrainAlone(parsed);
        double endToEnd = await StreamAsync(kafka, events, cancellationToken);
        double aloneAfter = TrainAlone(parsed);
        return new StreamMeasurement(events, partitions, batchSize, produceRate, endToEnd, (aloneBefore + aloneAfter) / 2);
    }

    private async Task<double> ProduceAsync(KafkaOptions kafka, SyntheticClickGenerator generator, long events, CancellationToken cancellationToken)
    {
        using var producer = new SyntheticEventProducer(kafka.ToProducerConfig(), kafka.Topic, generator, _loggers.CreateLogger<SyntheticEventProducer>(),
            format: kafka.Format);
        var clock = Stopwatch.StartNew();
        await producer.ProduceAsync(0, events, eventsPerSecond: 0, cancellationToken);
        await producer.FlushAsync(cancellationToken);
        if (producer.Delivered != events) throw new InvalidOperationException($"Only {producer.Delivered} of {events} events were delivered: {producer.LastDeliveryError}");
        return events / clock.Elapsed.TotalSeconds;
    }

    private async Task<double> StreamAsync(KafkaOptions kafka, long events, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("recurring-bench-stream-");
        try
        {
            var services = new ServiceCollection().AddSingleton(_loggers).AddLogging().AddRecurring(settings);
            // The benchmark's own topic on its own cluster, and no checkpoint while measuring: the final one, after the
            // clock stops, is the only one.
            services.AddSingleton(kafka);
            services.AddSingleton(new CheckpointOptions { Directory = folder.FullName, EveryEvents = long.MaxValue, EverySeconds = int.MaxValue });
            services.AddSingleton<IDeadLetterSink>(new FileDeadLetterSink(Path.Combine(folder.FullName, "dead-letters.jsonl")));
            await using var provider = services.BuildServiceProvider();
            var status = provider.GetRequiredService<DaemonStatus>();
            using var model = new DlrmModel(settings.ToDlrmConfig(), device, settings.Training.Seed);
            using var trainer = new DlrmTrainer(model, settings.Training.Optimizer);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

            var streaming = provider.GetRequiredService<StreamingPipeline>().RunAsync(trainer, restored: null, stop.Token, cancellationToken);
            long warm = await WaitForTrainedAsync(status, streaming, atLeast: (long)WarmupBatches * settings.Streaming.MaxBatchSize, cancellationToken);
            var clock = Stopwatch.StartNew();
            await WaitForTrainedAsync(status, streaming, atLeast: events, cancellationToken);
            double rate = (events - warm) / clock.Elapsed.TotalSeconds;

            await stop.CancelAsync();
            await streaming;
            return rate;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<long> WaitForTrainedAsync(DaemonStatus status, Task streaming, long atLeast, CancellationToken cancellationToken)
    {
        while (status.Snapshot().Streaming.EventsTrained < atLeast)
        {
            if (streaming.IsCompleted) await streaming; // surfaces a failure
            if (status.Snapshot().Reader.OffsetsDeleted is > 0 and var deleted)
                throw new InvalidOperationException($"The embedded broker deleted {deleted:N0} events before they were read (it keeps about 5 MiB per partition): the benchmark cannot finish.");
            await Task.Delay(5, cancellationToken);
        }
        return status.Snapshot().Streaming.EventsTrained;
    }

    /// <summary>The same events as the topic holds, parsed up front into batches of the same size.</summary>
    private List<FeatureBatch> Parse(SyntheticClickGenerator generator, long events, int batchSize)
    {
        var config = settings.ToDlrmConfig();
        var encoder = new FeatureEncoder(config.Features, FeatureStatistics.None);
        var e = new ClickEvent(config.Features);
        var source = new SyntheticEventSource(generator, 0, events);
        var batches = new List<FeatureBatch>();
        for (var batch = new FeatureBatch(config.Features, batchSize); batch.Refill(source, encoder, e) > 0; batch = new FeatureBatch(config.Features, batchSize))
            batches.Add(batch);
        return batches;
    }

    /// <summary>The parsed events through the same scoring training step, from a fresh model, timed after the same warm-up.</summary>
    private double TrainAlone(List<FeatureBatch> batches)
    {
        using var model = new DlrmModel(settings.ToDlrmConfig(), device, settings.Training.Seed);
        using var trainer = new DlrmTrainer(model, settings.Training.Optimizer);
        var scores = new float[batches[0].Capacity];
        foreach (var batch in batches.Take(WarmupBatches)) trainer.TrainAndScore(batch, scores);
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches.Skip(WarmupBatches)) trainer.TrainAndScore(batch, scores);
        return batches.Skip(WarmupBatches).Sum(b => b.Count) / clock.Elapsed.TotalSeconds;
    }
}
