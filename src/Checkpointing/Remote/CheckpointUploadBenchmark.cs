using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Remote;

/// <param name="CheckpointBytes">What one checkpoint holds: the model plus the optimizer state.</param>
/// <param name="LocalWriteBytesPerSecond">Median local checkpoint write (hashing and fsyncs included).</param>
/// <param name="UploadBytesPerSecond">Median of the uploads alone.</param>
/// <param name="RemoteCopyBytesPerSecond">Median of the whole remote copy: local verification, upload, read-back check.</param>
public sealed record CheckpointUploadBenchmarkResult(
    long CheckpointBytes, double LocalWriteBytesPerSecond, double UploadBytesPerSecond, double RemoteCopyBytesPerSecond, int Repetitions, string Location);

/// <summary>
/// Local checkpoint write and remote copy measured side by side: each repetition writes a checkpoint into a local
/// folder and at once copies it to the store, under a prefix of its own that is deleted at the end.
/// </summary>
public static class CheckpointUploadBenchmark
{
    public static async Task<CheckpointUploadBenchmarkResult> RunAsync(DlrmConfig config, Device device, string directory, int repetitions,
        RemoteCheckpointOptions remote, string uri, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        using var model = new DlrmModel(config, device, seed: 1);
        using var trainer = new DlrmTrainer(model, new OptimizerOptions());
        var snapshot = new TrainingSnapshot(trainer, new CheckpointStage(TrainingStage.Offline), Seed: 1);
        var run = $"checkpoint-bench-{Guid.NewGuid():N}";
        var root = Directory.CreateDirectory(Path.Combine(directory, run)).FullName;
        var options = new CheckpointOptions { Directory = root, Remote = remote };
        using var store = RemoteCheckpointStore.Open(options, $"{uri.TrimEnd('/')}/{run}");
        var written = new List<string>();
        try
        {
            var writes = new List<double>();
            var uploads = new List<double>();
            var copies = new List<double>();
            long bytes = 0;
            for (int i = 0; i < repetitions; i++)
            {
                var info = await store.Local.SaveAsync(snapshot, pin: false, cancellationToken);
                written.Add(info.Id);
                writes.Add(info.BytesPerSecond);
                var copy = await store.UploadAsync(info.Id, cancellationToken);
                uploads.Add(copy.TransferBytesPerSecond);
                copies.Add(copy.BytesPerSecond);
                bytes = info.Bytes;
            }
            return new CheckpointUploadBenchmarkResult(bytes, CheckpointWriteBenchmark.Median(writes), CheckpointWriteBenchmark.Median(uploads), CheckpointWriteBenchmark.Median(copies), repetitions, store.Location);
        }
        finally
        {
            var objects = new ObjectCheckpointStore(store.Objects);
            foreach (var id in written) await objects.DeleteFolderAsync(id, CancellationToken.None);
            Directory.Delete(root, recursive: true);
        }
    }
}
