using System.Diagnostics;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Daemon.Bench;

/// <param name="WorkingSetGrowthBytes">Process working set after the timed steps minus before them: flat memory shows as ~0.</param>
public sealed record TrainStepMeasurement(int BatchSize, EmbeddingUpdateKind EmbeddingUpdate, int Steps, double Seconds, double SamplesPerSecond,
    long WorkingSetGrowthBytes);

/// <summary>
/// Train-step throughput on pre-built batches of synthetic events (no parsing, no I/O): what the trainer alone
/// can do. Each configuration gets a fresh model, warm-up steps, then timed steps for a minimum duration.
/// </summary>
public sealed class TrainStepBenchmark(DlrmConfig config, OptimizerOptions optimizer, Device device, SyntheticClickGenerator generator)
{
    public TrainStepMeasurement Measure(int batchSize, EmbeddingUpdateKind update, TimeSpan minimum, int minimumSteps, int warmupSteps = 2)
    {
        using var model = new DlrmModel(config, device, seed: 1);
        // A few distinct batches so the embedding rows touched vary from step to step, as in real training.
        var batches = Enumerable.Range(0, 4).Select(b => Batch(model.Encoder, batchSize, (long)b * batchSize)).ToArray();
        using var trainer = new DlrmTrainer(model, optimizer with { EmbeddingUpdate = update });
        for (int i = 0; i < warmupSteps; i++) trainer.TrainStep(batches[i % batches.Length]);
        trainer.ReadTotals();
        long workingSetBefore = Environment.WorkingSet;

        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (steps < minimumSteps || clock.Elapsed < minimum)
        {
            trainer.TrainStep(batches[steps % batches.Length]);
            steps++;
            if (steps % 8 == 0) trainer.ReadTotals(); // bounds the device queue without syncing every step
        }
        trainer.ReadTotals();
        clock.Stop();
        return new TrainStepMeasurement(batchSize, update, steps, clock.Elapsed.TotalSeconds, (double)steps * batchSize / clock.Elapsed.TotalSeconds,
            Environment.WorkingSet - workingSetBefore);
    }

    private FeatureBatch Batch(FeatureEncoder encoder, int size, long firstEvent)
    {
        var batch = new FeatureBatch(encoder.Schema, size);
        batch.Refill(new SyntheticEventSource(generator, firstEvent, size), encoder, new ClickEvent(encoder.Schema));
        return batch;
    }
}
