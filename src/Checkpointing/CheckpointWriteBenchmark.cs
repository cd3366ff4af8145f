using System.Diagnostics;
using Recurring.Checkpointing.Safetensors;
using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing;

/// <param name="ModelBytes">The model's tensors.</param>
/// <param name="CheckpointBytes">What one checkpoint writes: the model plus the optimizer state.</param>
/// <param name="CheckpointBytesPerSecond">Median over the repetitions.</param>
/// <param name="RawBytesPerSecond">Median over the repetitions.</param>
/// <param name="Ratio">Median of each checkpoint's speed over the raw write's next to it in time.</param>
public sealed record CheckpointWriteBenchmarkResult(
    long ModelBytes, long CheckpointBytes, double CheckpointBytesPerSecond, double RawBytesPerSecond, double Ratio, int Repetitions);

/// <summary>
/// Measures what checkpointing costs over the disk's own speed: a full checkpoint (hashing, fsyncs and renames
/// included) against a raw sequential write of the same number of bytes, fsynced, in the same folder. The two
/// alternate, each pair in turned order, and the ratio is taken pair by pair, because a virtual disk's throughput
/// drifts by several times within a minute. Files stay until the end (deleting them would start discards that slow
/// the next write), so the folder needs room for twice the checkpoint size per repetition.
/// </summary>
public static class CheckpointWriteBenchmark
{
    /// <summary>About 700 MB: 26 tables of 420,000 rows of 16 floats, with the default MLPs.</summary>
    public static DlrmConfig DefaultModel() => new() { Features = FeatureSchema.Criteo(420_000) };

    public static async Task<CheckpointWriteBenchmarkResult> RunAsync(DlrmConfig config, Device device, string directory, int repetitions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        using var model = new DlrmModel(config, device, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var snapshot = new TrainingSnapshot(trainer, new CheckpointStage(TrainingStage.Offline), Seed: 1);
        var root = Directory.CreateDirectory(Path.Combine(directory, $"checkpoint-bench-{Guid.NewGuid():N}")).FullName;
        try
        {
            var checkpoints = Path.Combine(root, "checkpoints");
            var manager = new CheckpointManager(new LocalCheckpointStore(checkpoints), new CheckpointOptions { Directory = checkpoints, RetryAttempts = 0 });
            var checkpointRates = new List<double>();
            var rawRates = new List<double>();
            long checkpointBytes = 0;
            for (int i = 0; i < repetitions; i++)
            {
                var raw = Path.Combine(root, $"raw-{i}.bin");
                if (i % 2 == 1) rawRates.Add(WriteRaw(raw, checkpointBytes, cancellationToken));
                var info = await manager.SaveAsync(snapshot, pin: false, cancellationToken);
                checkpointRates.Add(info.BytesPerSecond);
                checkpointBytes = info.Bytes;
                if (i % 2 == 0) rawRates.Add(WriteRaw(raw, checkpointBytes, cancellationToken));
            }
            long modelBytes = model.NamedTensors().Sum(t => t.Value.numel() * t.Value.element_size());
            var ratios = checkpointRates.Zip(rawRates, (checkpoint, plain) => checkpoint / plain).ToList();
            return new CheckpointWriteBenchmarkResult(modelBytes, checkpointBytes, Median(checkpointRates), Median(rawRates), Median(ratios), repetitions);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Bytes per second of writing <paramref name="bytes"/> random bytes sequentially, then fsync.</summary>
    private static double WriteRaw(string path, long bytes, CancellationToken cancellationToken)
    {
        // Random content, so a compressing or deduplicating file system gains nothing the checkpoint would not.
        var buffer = new byte[SafetensorsWriter.DefaultChunkBytes];
        Random.Shared.NextBytes(buffer);
        long started = Stopwatch.GetTimestamp();
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            for (long left = bytes; left > 0;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min(left, buffer.Length);
                stream.Write(buffer, 0, chunk);
                left -= chunk;
            }
            stream.Flush(flushToDisk: true);
        }
        return bytes / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
