using Microsoft.Extensions.Logging;
using Recurring.Checkpointing.Safetensors;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing;

/// <summary>
/// Deltas: between two full checkpoints, small verified folders holding what changed since the previous checkpoint or
/// delta (the embedding rows updated, every MLP tensor, the optimizer state of both), so a serving side stays fresh
/// without downloading the whole model, and base + deltas is bit for bit the model the trainer had.
/// A delta is written like a checkpoint (temporary folder, fsync, SHA-256 in its manifest, atomic rename).
/// </summary>
public sealed partial class CheckpointManager
{
    /// <summary>In a delta's model.safetensors: the fused ids [K] (I64, ascending) of the embedding rows it carries;
    /// <c>embeddings.weight</c> is then [K, dim], their values, and <c>embeddings.rowwise_adagrad</c> [K] in its optimizer file.</summary>
    public const string DeltaRowsName = "embeddings.rows";

    /// <summary>
    /// Writes the delta of <paramref name="snapshot"/>: every row the trainer's row-wise optimizer has updated since
    /// its touched rows were last cleared (<see cref="RowWiseAdagrad.TouchedRows"/>; the caller clears them once the
    /// delta is durable), and every MLP tensor. Refused, with nothing written, when a tensor is not finite.
    /// </summary>
    public async Task<DeltaInfo> SaveDeltaAsync(DeltaSnapshot snapshot, CancellationToken cancellationToken)
    {
        var trainer = snapshot.Trainer;
        var rowWise = trainer.EmbeddingOptimizer
            ?? throw new NotSupportedException($"Only {EmbeddingUpdateKind.RowWiseAdagrad} training can write deltas.");
        using var scope = NewDisposeScope();
        var rows = rowWise.TouchedRows();
        IReadOnlyList<(string Name, Tensor Value)> model =
            [(DeltaRowsName, rows), (FusedEmbeddingCollection.WeightName, trainer.Model.Embeddings.Weight.index_select(0, rows)), .. trainer.Model.Mlps.SelectMany(m => m.Parameters())];
        IReadOnlyList<(string Name, Tensor Value)> optimizer =
            [(RowWiseAdagrad.StateName, rowWise.Accumulator.index_select(0, rows)), .. trainer.MlpOptimizer.NamedState()];
        if (CheckpointTensors.FirstNonFinite([.. model.Skip(1), .. optimizer]) is { } nonFinite)
            throw new CheckpointException($"No delta was written at step {trainer.Steps}: {nonFinite} holds NaN or infinite values. Existing checkpoints are untouched.");

        long started = _time.GetTimestamp();
        var now = _time.GetUtcNow().UtcDateTime;
        var createdUtc = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        var id = DeltaId.Create(snapshot.Base.Sequence, snapshot.Index, createdUtc, trainer.Steps);
        var manifest = await WriteFolderAsync("Delta", id, async (folder, ct) =>
        {
            CheckpointFile[] files =
            [
                await WriteTensorsAsync(folder, CheckpointFiles.Model, model, ct),
                await WriteTensorsAsync(folder, CheckpointFiles.Optimizer, optimizer, ct),
            ];
            var described = new DeltaManifest
            {
                FormatVersion = DeltaManifest.CurrentFormatVersion,
                Id = id,
                BaseId = snapshot.Base.Id,
                Index = snapshot.Index,
                PreviousId = snapshot.Previous,
                CreatedUtc = createdUtc,
                Rows = rows.shape[0],
                Counters = new CheckpointCounters { Steps = trainer.Steps, Samples = trainer.Samples, Other = snapshot.Counters },
                Positions = snapshot.Positions,
                Metrics = snapshot.Metrics,
                Files = files,
            }.Sealed();
            await RetryAsync(c => _store.WriteFileAsync(folder, CheckpointFiles.Manifest, (stream, w) => described.WriteAsync(stream, w), c), ct);
            return described;
        }, cancellationToken);
        var info = new DeltaInfo(id, manifest.FileBytes, _time.GetElapsedTime(started), manifest);
        LogDeltaSaved(id, manifest.Rows, info.Bytes, info.Duration.TotalSeconds);
        return info;
    }

    /// <summary>
    /// The deltas that apply to checkpoint <paramref name="baseId"/>, in order: index 1, 2, ..., each naming the one
    /// before. The chain ends before the first missing index or a delta whose manifest is damaged or names another
    /// chain (logged and counted); the files themselves are verified when a delta is applied.
    /// </summary>
    public async Task<IReadOnlyList<DeltaManifest>> ListDeltasAsync(string baseId, CancellationToken cancellationToken)
    {
        if (!CheckpointId.TryParse(baseId, out _, out long sequence)) throw new ArgumentException($"'{baseId}' is not a checkpoint id.");
        var candidates = new List<(string Name, int Index)>();
        foreach (var folder in await RetryAsync(_store.ListFoldersAsync, cancellationToken))
            if (DeltaId.TryParse(folder, out long baseSequence, out int index) && baseSequence == sequence) candidates.Add((folder, index));

        var chain = new List<DeltaManifest>();
        string previous = baseId;
        foreach (var (name, index) in candidates.OrderBy(c => c.Index).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            if (index != chain.Count + 1) break;
            try
            {
                var manifest = await RetryAsync(async ct =>
                {
                    await using var stream = await OpenAsync(name, CheckpointFiles.Manifest, ct);
                    return await DeltaManifest.ReadAsync(stream, ct);
                }, cancellationToken);
                if (manifest.Id != name || manifest.BaseId != baseId || manifest.Index != index || manifest.PreviousId != previous)
                    throw new InvalidDataException($"its manifest names {manifest.Id}, base {manifest.BaseId}, index {manifest.Index} after {manifest.PreviousId}, not index {index} after {previous} of {baseId}.");
                chain.Add(manifest);
                previous = manifest.Id;
            }
            catch (Exception e) when (IsUnusable(e))
            {
                Skip(name, e.Message);
                break;
            }
        }
        return chain;
    }

    /// <summary>
    /// Checkpoint <paramref name="baseId"/> with its deltas applied in order, through <paramref name="throughId"/>
    /// (null: the whole chain): model, optimizer state and counters exactly as the trainer had them when that delta
    /// was written. Every file is verified against its manifest before anything of it is applied.
    /// </summary>
    /// <exception cref="CheckpointException">The base does not verify, or <paramref name="throughId"/> is not in its chain.</exception>
    public async Task<(RestoredCheckpoint Restored, IReadOnlyList<DeltaManifest> Applied)> RestoreWithDeltasAsync(string baseId, string? throughId, Device device,
        CancellationToken cancellationToken)
    {
        var chain = await ListDeltasAsync(baseId, cancellationToken);
        if (throughId is not null)
        {
            int through = chain.ToList().FindIndex(d => d.Id == throughId);
            if (through < 0)
                throw new CheckpointException($"Delta {throughId} is not in the chain of checkpoint {baseId} in {_store.Location} (missing, damaged, of another checkpoint, or after a gap).");
            chain = chain.Take(through + 1).ToArray();
        }
        var restored = await RestoreLatestAsync(device, m => m.Id == baseId, cancellationToken)
            ?? throw new CheckpointException($"Checkpoint {baseId} is missing or damaged in {_store.Location} (see `recurring checkpoints verify`).");
        try
        {
            foreach (var delta in chain) await ApplyDeltaAsync(delta, restored.Trainer, cancellationToken);
            return (restored, chain);
        }
        catch
        {
            restored.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the deltas whose base checkpoint is gone (retention deleted it): nothing can apply them any more.</summary>
    private async Task DeleteOrphanDeltasAsync(CancellationToken cancellationToken)
    {
        var folders = await RetryAsync(_store.ListFoldersAsync, cancellationToken);
        var bases = new HashSet<long>();
        foreach (var folder in folders)
            if (CheckpointId.TryParse(folder, out _, out long sequence)) bases.Add(sequence);
        foreach (var folder in folders)
            if (DeltaId.TryParse(folder, out long baseSequence, out _) && !bases.Contains(baseSequence)) await DeleteAsync(folder, cancellationToken);
    }

    private async Task ApplyDeltaAsync(DeltaManifest delta, DlrmTrainer trainer, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var device = trainer.Model.Device;
        var model = await ReadDeltaTensorsAsync(delta, CheckpointFiles.Model, device, cancellationToken);
        var optimizer = await ReadDeltaTensorsAsync(delta, CheckpointFiles.Optimizer, device, cancellationToken);
        var rowWise = trainer.EmbeddingOptimizer ?? throw new InvalidDataException("The checkpoint's optimizer has no row-wise state.");
        var embeddings = trainer.Model.Embeddings;

        var rows = Take(model, DeltaRowsName, delta, ScalarType.Int64, [delta.Rows]);
        if (delta.Rows > 0 && (rows.min().item<long>() < 0 || rows.max().item<long>() >= embeddings.TotalRows))
            throw new InvalidDataException($"Delta {delta.Id} names rows outside the table's {embeddings.TotalRows}.");
        var values = Take(model, FusedEmbeddingCollection.WeightName, delta, ScalarType.Float32, [delta.Rows, embeddings.Dim]);
        var accumulated = Take(optimizer, RowWiseAdagrad.StateName, delta, ScalarType.Float32, [delta.Rows]);
        var layers = trainer.Model.Mlps.SelectMany(m => m.Parameters())
            .Select(p => (p.Name, Value: Take(model, p.Name, delta, ScalarType.Float32, p.Value.shape))).ToDictionary(p => p.Name, p => p.Value);
        var states = trainer.MlpOptimizer.NamedState()
            .Select(s => (s.Name, Value: Take(optimizer, s.Name, delta, ScalarType.Float32, s.Value.shape))).ToArray();
        if (model.Count > 0 || optimizer.Count > 0)
            throw new InvalidDataException($"Delta {delta.Id} holds tensors the model does not have: {string.Join(", ", model.Keys.Concat(optimizer.Keys))}.");

        using (no_grad())
        {
            embeddings.Weight.index_copy_(0, rows, values);
            rowWise.Accumulator.index_copy_(0, rows, accumulated);
        }
        foreach (var mlp in trainer.Model.Mlps)
            for (int layer = 0; layer < mlp.LayerCount; layer++)
                mlp.SetLayer(layer, layers[Mlp.WeightName(mlp.Name, layer)], layers[Mlp.BiasName(mlp.Name, layer)]);
        foreach (var (name, value) in states) trainer.MlpOptimizer.SetState(name, value);
        trainer.SetCounters(delta.Counters.Steps, delta.Counters.Samples);
    }

    /// <summary>Every tensor of one of a delta's files, read while it is verified against the delta's manifest.</summary>
    private async Task<Dictionary<string, Tensor>> ReadDeltaTensorsAsync(DeltaManifest delta, string name, Device device, CancellationToken cancellationToken)
    {
        var file = delta.Files.SingleOrDefault(f => f.Name == name) ?? throw new InvalidDataException($"Delta {delta.Id}'s manifest lists no {name}.");
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        await ReadVerifiedAsync(delta.Id, file, stream =>
        {
            var reader = OpenTensors(stream, file);
            foreach (var entry in reader.Tensors) tensors[entry.Name] = reader.Read(entry, device, cancellationToken);
        }, cancellationToken);
        return tensors;
    }

    /// <summary>Removes and returns a tensor a delta must hold, of this type and shape.</summary>
    private static Tensor Take(Dictionary<string, Tensor> tensors, string name, DeltaManifest delta, ScalarType type, long[] shape)
    {
        if (!tensors.Remove(name, out var tensor)) throw new InvalidDataException($"Delta {delta.Id} lacks {name}.");
        if (tensor.dtype != type || !tensor.shape.SequenceEqual(shape))
            throw new InvalidDataException($"Delta {delta.Id}'s {name} is {SafetensorsDType.NameOf(tensor.dtype)} [{string.Join(", ", tensor.shape)}], not {SafetensorsDType.NameOf(type)} [{string.Join(", ", shape)}].");
        return tensor;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delta {Id} written: {Rows} embedding rows, {Bytes} bytes in {Seconds:F2} s")]
    private partial void LogDeltaSaved(string id, long rows, long bytes, double seconds);
}
