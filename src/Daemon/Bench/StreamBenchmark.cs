using System.Diagnostics;
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
/// Streaming throughput against the embedded Kafka-protocol broker: the daemon's own reader and trainer
/// (consume → parse → batch → score-then-train) over events produced beforehand, and, in the same run, the trainer
/// alone on the same events already parsed into batches of the same size. Both start from identical fresh models.
/// </summary>
public sealed class StreamBenchmark(RecurringSettings settings, Device device, ILoggerFactory? loggers = null)
{
    /// <summary>The mock broker keeps ~5 MiB per partition; 20k events of ~200 bytes each stay well inside.</summary>
    public const int EventsPerPartition = 20_000;

    /// <summary>
    /// Batches each path trains before its clock starts: joining the consumer group, the first steps' allocations and
    /// the JIT's tier-up of the parse and train code are paid once per process, not per event.
    /// </summary>
    public const int WarmupBatches = 8;

    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public async Task<StreamMeasurement> RunAsync(int partitions, CancellationToken cancellationToken)
    {
        long events = (long)partitions * EventsPerPartition;
        int batchSize = settings.Streaming.MaxBatchSize;
        long warmup = (long)WarmupBatches * batchSize;
        if (events < 2 * warmup)
            throw new ArgumentException($"{partitions} partition(s) hold {events:N0} events, but the benchmark needs at least {2 * warmup:N0} " +
                                        $"({WarmupBatches} warm-up batches of Streaming:MaxBatchSize {batchSize:N0}, and as many timed): use more partitions.");
        var generator = new SyntheticClickGenerator(settings.Synthetic);
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
        using var producer = new SyntheticEventProducer(kafka.ToProducerConfig(), kafka.Topic, generator, _loggers.CreateLogger<SyntheticEventProducer>());
        var clock = Stopwatch.StartNew();
        await producer.ProduceAsync(0, events, eventsPerSecond: 0, cancellationToken);
        await producer.FlushAsync(cancellationToken);
        if (producer.Delivered != events) throw new InvalidOperationException($"Only {producer.Delivered} of {events} events were delivered: {producer.LastDeliveryError}");
        return events / clock.Elapsed.TotalSeconds;
    }

    private async Task<double> StreamAsync(KafkaOptions kafka, long events, CancellationToken cancellationToken)
    {
        var config = settings.Model.ToDlrmConfig();
        using var model = new DlrmModel(config, device, settings.Training.Seed);
        using var trainer = new DlrmTrainer(model, settings.Training.Optimizer);
        var folder = Directory.CreateTempSubdirectory("recurring-bench-stream-");
        try
        {
            var checkpoints = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = folder.FullName });
            var status = new DaemonStatus();
            // No checkpoint while measuring: the final one, after the clock stops, is the only one.
            var schedule = new CheckpointScheduleOptions { EveryEvents = long.MaxValue, EverySeconds = int.MaxValue };
            using var deadLetters = new FileDeadLetterSink(Path.Combine(folder.FullName, "dead-letters.jsonl"));
            var streaming = new StreamingTrainer(trainer, restored: null, checkpoints, folder.FullName, schedule, settings.Streaming, deadLetters,
                modelUpdates: null, status, _loggers.CreateLogger<StreamingTrainer>(), settings.Training.Seed);
            using var reader = new KafkaEventReader(kafka, settings.Streaming, new FeatureHashing(config.RowsPerTable), new Dictionary<Confluent.Kafka.TopicPartition, long>(),
                status, _loggers.CreateLogger<KafkaEventReader>());
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

            reader.Start(stop.Token);
            var training = streaming.RunAsync(reader.Items, reader, stop.Token);
            long warm = await WaitForTrainedAsync(status, training, atLeast: (long)WarmupBatches * settings.Streaming.MaxBatchSize, cancellationToken);
            var clock = Stopwatch.StartNew();
            await WaitForTrainedAsync(status, training, atLeast: events, cancellationToken);
            double rate = (events - warm) / clock.Elapsed.TotalSeconds;

            await stop.CancelAsync();
            await reader.CompleteAsync(await training);
            return rate;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<long> WaitForTrainedAsync(DaemonStatus status, Task training, long atLeast, CancellationToken cancellationToken)
    {
        while (status.Current.EventsTrained < atLeast)
        {
            if (training.IsCompleted) await training; // surfaces a failure
            await Task.Delay(5, cancellationToken);
        }
        return status.Current.EventsTrained;
    }

    /// <summary>The same events as the topic holds, parsed up front into batches of the same size.</summary>
    private List<FeatureBatch> Parse(SyntheticClickGenerator generator, long events, int batchSize)
    {
        var hashing = new FeatureHashing(settings.Model.ToDlrmConfig().RowsPerTable);
        var record = new CriteoRecord();
        var batches = new List<FeatureBatch>();
        for (long first = 0; first < events; first += batchSize)
        {
            var batch = new FeatureBatch(batchSize);
            for (long i = first; i < Math.Min(events, first + batchSize); i++)
            {
                generator.Generate(i, record);
                batch.Add(record, hashing);
            }
            batches.Add(batch);
        }
        return batches;
    }

    /// <summary>The parsed events through the same scoring training step, from a fresh model, timed after the same warm-up.</summary>
    private double TrainAlone(List<FeatureBatch> batches)
    {
        using var model = new DlrmModel(settings.Model.ToDlrmConfig(), device, settings.Training.Seed);
        using var trainer = new DlrmTrainer(model, settings.Training.Optimizer);
        var scores = new float[batches[0].Capacity];
        foreach (var batch in batches.Take(WarmupBatches)) trainer.TrainAndScore(batch, scores);
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches.Skip(WarmupBatches)) trainer.TrainAndScore(batch, scores);
        return batches.Skip(WarmupBatches).Sum(b => b.Count) / clock.Elapsed.TotalSeconds;
    }
}
