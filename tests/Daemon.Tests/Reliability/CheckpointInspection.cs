using System.Runtime.InteropServices;
using Recurring.Checkpointing;
using Recurring.Daemon.Streaming;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>Reads what the daemon left in its checkpoint folder, the way a restart would.</summary>
internal static class CheckpointInspection
{
    public static CheckpointManager Manager(string directory) =>
        CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory, RetryAttempts = 0 });

    /// <summary>The newest valid checkpoint, as the daemon would restore it.</summary>
    public static async Task<RestoredCheckpoint> RestoreNewestAsync(string directory) =>
        await Manager(directory).RestoreLatestAsync(CPU, accept: null, CancellationToken.None)
        ?? throw new InvalidOperationException($"No valid checkpoint in {directory}.");

    /// <summary>Every tensor a checkpoint holds, by name: the model's and the optimizer's state.</summary>
    public static IReadOnlyList<(string Name, Tensor Value)> Tensors(RestoredCheckpoint checkpoint) =>
    [
        .. checkpoint.Model.NamedTensors().Select(t => ($"model/{t.Name}", t.Value)),
        .. checkpoint.Trainer.MlpOptimizer.NamedState().Select(t => ($"optimizer/{t.Name}", t.Value)),
        ($"optimizer/{Recurring.Core.Training.RowWiseAdagrad.StateName}", checkpoint.Trainer.EmbeddingOptimizer!.Accumulator),
    ];

    /// <summary>Raw bytes of a float32 tensor: bit-for-bit comparison (NaN payloads and the sign of zero included).</summary>
    public static byte[] Bits(Tensor tensor)
    {
        Assert.Equal(ScalarType.Float32, tensor.dtype);
        var values = tensor.contiguous().data<float>().ToArray();
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    /// <summary>
    /// Every tensor of <paramref name="actual"/> has the same name, shape and bits as in <paramref name="expected"/>;
    /// returns how many values were compared. On a difference, says which tensor and by how much.
    /// </summary>
    public static long AssertBitIdentical(RestoredCheckpoint expected, RestoredCheckpoint actual)
    {
        var left = Tensors(expected);
        var right = Tensors(actual);
        Assert.Equal(left.Select(t => t.Name), right.Select(t => t.Name));
        long values = 0;
        for (int i = 0; i < left.Count; i++)
        {
            var (name, a) = left[i];
            var b = right[i].Value;
            Assert.True(a.shape.SequenceEqual(b.shape), $"{name}: shape [{string.Join(", ", a.shape)}] vs [{string.Join(", ", b.shape)}]");
            if (!Bits(a).AsSpan().SequenceEqual(Bits(b)))
            {
                using var difference = (a - b).abs();
                long differing = a.ne(b).sum().item<long>();
                Assert.Fail($"{name} differs: {differing} of {a.numel()} values, largest difference {difference.max().item<float>():G9}");
            }
            values += a.numel();
        }
        return values;
    }

    /// <summary>Names of the tensors in <paramref name="checkpoint"/> that hold a NaN or an infinity.</summary>
    public static IReadOnlyList<string> NonFiniteTensors(RestoredCheckpoint checkpoint) =>
        Tensors(checkpoint).Where(t => !isfinite(t.Value).all().item<bool>()).Select(t => t.Name).ToList();

    public static long Consumed(CheckpointManifest manifest) => StreamingCounters.From(manifest).Consumed;
    public static long Trained(CheckpointManifest manifest) => StreamingCounters.From(manifest).Trained;

    /// <summary>The next offset of partition 0, or -1 when the checkpoint has no position for it.</summary>
    public static long NextOffset(CheckpointManifest manifest, string topic) =>
        manifest.Positions.Kafka.SingleOrDefault(p => p.Topic == topic && p.Partition == 0)?.NextOffset ?? -1;

    /// <summary>Folders in the checkpoint directory, by kind: checkpoints and leftovers of interrupted writes or deletes.</summary>
    public static (string[] Checkpoints, string[] Temporary, string[] Other) Folders(string directory)
    {
        string[] names = Directory.Exists(directory)
            ? Directory.EnumerateDirectories(directory).Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal).ToArray()
            : [];
        return (names.Where(n => CheckpointId.TryParse(n, out _)).ToArray(),
            names.Where(CheckpointId.IsTemporary).ToArray(),
            names.Where(n => !CheckpointId.TryParse(n, out _) && !CheckpointId.IsTemporary(n)).ToArray());
    }
}
