using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Recurring.Checkpointing.Safetensors;
using Recurring.Core.Data;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing;

/// <summary>
/// Writes, finds, verifies, restores and prunes checkpoints in one store. A checkpoint is written into a temporary
/// sibling folder, every file and the folder are flushed to stable storage, and only then is the folder renamed into
/// place, so a crash at any moment leaves the earlier checkpoints plus either nothing or a complete new one.
/// Discovery scans the folder names and trusts nothing it has not verified against the manifest's sizes and SHA-256.
/// One process writes to a store at a time.
/// </summary>
public sealed partial class CheckpointManager
{
    // Hugging Face loaders look for it; safetensors itself ignores metadata.
    private static readonly IReadOnlyDictionary<string, string> TensorFileMetadata = new Dictionary<string, string> { ["format"] = "pt" };

    private readonly ICheckpointStore _store;
    private readonly CheckpointOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retry;
    private long _skipped;

    public CheckpointManager(ICheckpointStore store, CheckpointOptions options, ILogger<CheckpointManager>? logger = null, TimeProvider? time = null)
    {
        options.EnsureValid();
        _store = store;
        _options = options;
        _logger = logger ?? NullLogger<CheckpointManager>.Instance;
        _time = time ?? TimeProvider.System;
        _retry = StorageRetry.Build(options, _logger);
    }

    /// <summary>A manager for <see cref="CheckpointOptions.Directory"/> on the local file system.</summary>
    public static CheckpointManager ForDirectory(CheckpointOptions options, ILogger<CheckpointManager>? logger = null) =>
        new(new LocalCheckpointStore(options.Directory), options, logger);

    /// <summary>Where the checkpoints are, for messages.</summary>
    public string Location => _store.Location;

    /// <summary>How often a corrupt, incomplete or unreadable checkpoint has been passed over (each is also logged).</summary>
    public long SkippedCheckpoints => Interlocked.Read(ref _skipped);

    /// <summary>
    /// Writes a checkpoint of <paramref name="snapshot"/>. The offline phase's final model is pinned whatever
    /// <paramref name="pin"/> says. A model or optimizer state holding NaN or infinity is refused before anything is
    /// written. On failure the temporary folder is removed, earlier checkpoints are untouched, and
    /// a <see cref="CheckpointException"/> says what went wrong.
    /// </summary>
    public async Task<CheckpointInfo> SaveAsync(TrainingSnapshot snapshot, bool pin, CancellationToken cancellationToken)
    {
        var trainer = snapshot.Trainer;
        var optimizerTensors = CheckpointTensors.Optimizer(trainer);
        // A model that diverged would be restored on every start; the last finite checkpoint is the one to keep.
        if (CheckpointTensors.FirstNonFinite([.. CheckpointTensors.Model(trainer.Model), .. optimizerTensors]) is { } nonFinite)
            throw new CheckpointException($"No checkpoint was written at step {trainer.Steps}: {nonFinite} holds NaN or infinite values. Existing checkpoints are untouched.");
        long started = _time.GetTimestamp();
        var now = _time.GetUtcNow().UtcDateTime;
        // The id carries milliseconds; the manifest says the same time.
        var createdUtc = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        long sequence;
        try
        {
            sequence = await NextSequenceAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CheckpointException($"No checkpoint was written to {_store.Location}: listing its checkpoints failed: {e.Message} Existing checkpoints are untouched.", e);
        }
        var id = CheckpointId.Create(sequence, createdUtc, trainer.Steps);
        var manifest = await WriteFolderAsync("Checkpoint", id, async (folder, ct) =>
        {
            CheckpointFile[] files =
            [
                await WriteTensorsAsync(folder, CheckpointFiles.Model, CheckpointTensors.Model(trainer.Model), ct),
                await WriteTensorsAsync(folder, CheckpointFiles.Optimizer, optimizerTensors, ct),
                await WriteHashedAsync(folder, CheckpointFiles.Description, (stream, c) => ModelDescription.Of(trainer.Model).WriteAsync(stream, c), ct),
            ];
            var described = Describe(id, sequence, createdUtc, snapshot, files);
            await RetryAsync(c => _store.WriteFileAsync(folder, CheckpointFiles.Manifest, (stream, w) => ManifestJson.WriteAsync(stream, described, w), c), ct);
            if (pin || snapshot.Stage.Kind == TrainingStage.OfflineFinal) await WritePinAsync(folder, ct);
            return described;
        }, cancellationToken);
        var info = new CheckpointInfo(id, manifest.FileBytes, _time.GetElapsedTime(started), manifest);
        LogSaved(id, info.Bytes, info.Duration.TotalSeconds, info.BytesPerSecond / 1e6);
        return info;
    }

    /// <summary>
    /// Rebuilds model and trainer on <paramref name="device"/> from the newest valid checkpoint that
    /// <paramref name="accept"/> (when given) accepts, skipping damaged ones; null when there is none. A checkpoint
    /// in a newer format stops the search with a <see cref="CheckpointException"/> rather than resuming from an older one.
    /// </summary>
    /// <param name="features">The schema training goes on under (null: the checkpoint's own). One that appends
    /// features grows the restored model (<see cref="FeatureGrowth"/>); any other difference stops the search with a
    /// <see cref="FeatureSchemaMismatchException"/>, as every older checkpoint has the same problem.</param>
    public async Task<RestoredCheckpoint?> RestoreLatestAsync(Device device, Func<CheckpointManifest, bool>? accept, CancellationToken cancellationToken,
        FeatureSchema? features = null)
    {
        foreach (var (id, _) in await ListIdsAsync(cancellationToken))
        {
            try
            {
                var manifest = await ReadManifestAsync(id, cancellationToken);
                if (accept is not null && !accept(manifest)) continue;
                var comparison = features?.CompareWith(manifest.Model.Features);
                if (comparison is { IsCompatible: false }) throw new FeatureSchemaMismatchException(id, comparison.Differences);
                var restored = await LoadAsync(id, manifest, device, cancellationToken);
                LogRestored(id, manifest.Counters.Steps, device.ToString());
                if (comparison is null || comparison.IsIdentical) return restored;
                using (restored)
                {
                    var grown = FeatureGrowth.Grow(restored.Trainer, features!, manifest.Seed);
                    LogGrown(id, string.Join(", ", comparison.AddedDense.Select(d => d.Name).Concat(comparison.AddedSparse.Select(s => s.Name))));
                    return new RestoredCheckpoint(grown.Model, grown, manifest with { Model = ModelShape.Of(grown.Model) });
                }
            }
            catch (Exception e) when (IsUnusable(e))
            {
                Skip(id, e.Message);
            }
        }
        return null;
    }

    /// <summary>
    /// Puts checkpoint <paramref name="id"/>'s weights and optimizer state back into <paramref name="trainer"/>, in
    /// place; its step and sample counters go on. The checkpoint is verified first and must be of the trainer's feature
    /// schema. Should reading fail part-way all the same, the trainer is left half restored: the caller must not
    /// checkpoint it.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is damaged, of another schema, or could not be read.</exception>
    public async Task<CheckpointManifest> RestoreIntoAsync(string id, DlrmTrainer trainer, CancellationToken cancellationToken)
    {
        var status = await VerifyAsync(id, cancellationToken);
        if (status.Problem is { } problem) throw new CheckpointException($"Checkpoint {id} cannot be restored: {problem}");
        var manifest = status.Manifest!;
        if (!trainer.Model.Config.Features.CompareWith(manifest.Model.Features).IsIdentical)
            throw new CheckpointException($"Checkpoint {id} cannot be restored into this model: its feature schema differs.");
        try
        {
            var modelFile = FileOf(manifest, CheckpointFiles.Model);
            var optimizerFile = FileOf(manifest, CheckpointFiles.Optimizer);
            await ReadVerifiedAsync(id, modelFile,
                stream => CheckpointTensors.RestoreModel(OpenTensors(stream, modelFile), trainer.Model, manifest.Model.CurrentWidths, cancellationToken), cancellationToken);
            await ReadVerifiedAsync(id, optimizerFile,
                stream => CheckpointTensors.RestoreOptimizer(OpenTensors(stream, optimizerFile), trainer, cancellationToken), cancellationToken);
        }
        catch (Exception e) when (IsUnusable(e) || e is IOException)
        {
            throw new CheckpointException($"Checkpoint {id} could not be restored: {e.Message}", e);
        }
        LogRestored(id, manifest.Counters.Steps, trainer.Model.Device.ToString());
        return manifest;
    }

    /// <summary>Every checkpoint, newest first, each verified against its manifest (sizes and SHA-256).</summary>
    public Task<IReadOnlyList<CheckpointStatus>> ListAsync(CancellationToken cancellationToken) => ListAsync(hashContents: true, cancellationToken);

    /// <param name="hashContents">False checks only the manifest and the file sizes: cheap enough for a status page,
    /// but a flipped byte goes unnoticed.</param>
    public async Task<IReadOnlyList<CheckpointStatus>> ListAsync(bool hashContents, CancellationToken cancellationToken)
    {
        var statuses = new List<CheckpointStatus>();
        foreach (var (id, createdUtc) in await ListIdsAsync(cancellationToken))
            statuses.Add(await InspectAsync(id, createdUtc, cancellationToken, hashContents));
        return statuses;
    }

    public async Task<CheckpointStatus> VerifyAsync(string id, CancellationToken cancellationToken) =>
        await InspectAsync(id, await RequireExistingAsync(id, cancellationToken), cancellationToken);

    public async Task PinAsync(string id, CancellationToken cancellationToken)
    {
        await RequireExistingAsync(id, cancellationToken);
        await WritePinAsync(id, cancellationToken);
        await RetryAsync(ct => _store.SyncFolderAsync(id, ct), cancellationToken);
    }

    public async Task UnpinAsync(string id, CancellationToken cancellationToken)
    {
        await RequireExistingAsync(id, cancellationToken);
        await RetryAsync(ct => _store.DeleteFileAsync(id, CheckpointFiles.Pinned, ct), cancellationToken);
        await RetryAsync(ct => _store.SyncFolderAsync(id, ct), cancellationToken);
    }

    /// <summary>Applies <see cref="CheckpointOptions.KeepLast"/> and <see cref="CheckpointOptions.KeepDailyDays"/>.</summary>
    public Task<RetentionPlan> ApplyRetentionAsync(CancellationToken cancellationToken) =>
        ApplyRetentionAsync(new RetentionRule(_options.KeepLast, _options.KeepDailyDays), verified: null, cancellationToken);

    /// <summary>
    /// Retention right after <see cref="SaveAsync"/>: <paramref name="verified"/>, the checkpoint just written and
    /// verified, counts as valid without being read and hashed again.
    /// </summary>
    public Task<RetentionPlan> ApplyRetentionAfterWriteAsync(string verified, CancellationToken cancellationToken) =>
        ApplyRetentionAsync(new RetentionRule(_options.KeepLast, _options.KeepDailyDays), verified, cancellationToken);

    /// <summary>
    /// Verifies checkpoints newest first until one is valid, then deletes, oldest first, those the rule does not keep.
    /// Nothing is deleted while no checkpoint verifies.
    /// </summary>
    public Task<RetentionPlan> ApplyRetentionAsync(RetentionRule rule, CancellationToken cancellationToken) =>
        ApplyRetentionAsync(rule, verified: null, cancellationToken);

    /// <param name="verified">A checkpoint the caller has just verified in full (written, or uploaded and read
    /// back): it counts as valid without being read and hashed again.</param>
    public async Task<RetentionPlan> ApplyRetentionAsync(RetentionRule rule, string? verified, CancellationToken cancellationToken)
    {
        var candidates = new List<RetentionCandidate>();
        foreach (var (id, createdUtc) in await ListIdsAsync(cancellationToken))
            candidates.Add(new RetentionCandidate(id, createdUtc, await IsPinnedAsync(id, cancellationToken)));

        string? newestValid = null;
        foreach (var candidate in candidates)
        {
            if (candidate.Id == verified)
            {
                newestValid = candidate.Id;
                break;
            }
            var status = await InspectAsync(candidate.Id, candidate.CreatedUtc, cancellationToken);
            if (status.IsValid)
            {
                newestValid = candidate.Id;
                break;
            }
            Skip(candidate.Id, status.Problem!);
        }

        var plan = RetentionPolicy.Plan(candidates, newestValid, rule);
        foreach (var id in plan.Deletions) await DeleteAsync(id, cancellationToken);
        await DeleteOrphanDeltasAsync(cancellationToken);
        return plan;
    }

    /// <summary>Removes folders a crashed write or delete left behind. Call at start-up, before this process writes.</summary>
    public async Task<int> RemoveStaleTemporaryFoldersAsync(CancellationToken cancellationToken)
    {
        var stale = (await RetryAsync(_store.ListFoldersAsync, cancellationToken)).Where(CheckpointId.IsTemporary).ToArray();
        foreach (var folder in stale)
        {
            await RetryAsync(ct => _store.DeleteFolderAsync(folder, ct), cancellationToken);
            LogRemovedStale(folder);
        }
        return stale.Length;
    }

    /// <summary>
    /// The atomic write: <paramref name="writeContents"/> fills the temporary folder (its manifest last), which is then
    /// flushed and renamed to <paramref name="id"/>, and the rename flushed. On failure the temporary folder is removed
    /// and a <see cref="CheckpointException"/> says what (<paramref name="what"/> and id) was not written.
    /// </summary>
    private async Task<T> WriteFolderAsync<T>(string what, string id, Func<string, CancellationToken, Task<T>> writeContents, CancellationToken cancellationToken)
    {
        var folder = CheckpointId.WritingFolder(id);
        bool committed = false;
        try
        {
            await RetryAsync(ct => _store.CreateFolderAsync(folder, ct), cancellationToken);
            var result = await writeContents(folder, cancellationToken);
            await RetryAsync(ct => _store.SyncFolderAsync(folder, ct), cancellationToken);
            await RetryAsync(ct => _store.RenameFolderAsync(folder, id, ct), cancellationToken);
            committed = true;
            await RetryAsync(_store.SyncRootAsync, cancellationToken);
            return result;
        }
        catch (Exception e) when (!committed)
        {
            await RemoveTemporaryFolderAsync(folder);
            if (e is OperationCanceledException) throw;
            throw new CheckpointException($"{what} {id} was not written to {_store.Location}: {e.Message} Existing checkpoints are untouched.", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CheckpointException($"{what} {id} is in {_store.Location}, but flushing its folder entry failed, so it may not survive a power loss: {e.Message}", e);
        }
    }

    private Task<CheckpointFile> WriteTensorsAsync(string folder, string file, IReadOnlyList<(string Name, Tensor Value)> tensors, CancellationToken cancellationToken) =>
        WriteHashedAsync(folder, file, (stream, c) =>
        {
            SafetensorsWriter.Write(stream, tensors, TensorFileMetadata, c);
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Writes one file of a checkpoint, measuring its size and SHA-256 as it goes, for the manifest.</summary>
    private async Task<CheckpointFile> WriteHashedAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        CheckpointFile? written = null;
        await RetryAsync(ct => _store.WriteFileAsync(folder, file, async (stream, c) =>
        {
            await using var hashing = new HashingStream(stream, leaveOpen: true);
            await write(hashing, c);
            written = new CheckpointFile(file, hashing.Count, hashing.Sha256());
        }, ct), cancellationToken);
        return written!;
    }

    private Task WritePinAsync(string folder, CancellationToken cancellationToken) =>
        RetryAsync(ct => _store.WriteFileAsync(folder, CheckpointFiles.Pinned, (_, _) => Task.CompletedTask, ct), cancellationToken).AsTask();

    private static CheckpointManifest Describe(string id, long sequence, DateTime createdUtc, TrainingSnapshot snapshot, IReadOnlyList<CheckpointFile> files) => ManifestJson.Seal(new()
    {
        FormatVersion = CheckpointManifest.CurrentFormatVersion,
        Id = id,
        Sequence = sequence,
        CreatedUtc = createdUtc,
        Model = ModelShape.Of(snapshot.Trainer.Model),
        Optimizer = snapshot.Trainer.Options,
        Counters = new CheckpointCounters { Steps = snapshot.Trainer.Steps, Samples = snapshot.Trainer.Samples, Other = snapshot.Counters },
        Stage = snapshot.Stage,
        Seed = snapshot.Seed,
        Positions = snapshot.Positions,
        Metrics = snapshot.Metrics,
        Files = files,
    });

    private async Task<RestoredCheckpoint> LoadAsync(string id, CheckpointManifest manifest, Device device, CancellationToken cancellationToken)
    {
        var config = manifest.Model.ToConfig();
        var problems = manifest.Model.Features.Validate().Concat(config.Validate()).Concat(manifest.Optimizer.Validate())
            .Concat(manifest.Model.Statistics.MissingFor(manifest.Model.Features).Select(name => $"Standardized feature '{name}' has no moments.")).ToArray();
        if (problems.Length > 0) throw new InvalidDataException($"The manifest describes an unusable model: {string.Join(" ", problems)}");
        var modelFile = FileOf(manifest, CheckpointFiles.Model);
        var optimizerFile = FileOf(manifest, CheckpointFiles.Optimizer);

        var model = new DlrmModel(config, device, manifest.Seed, manifest.Model.Statistics);
        DlrmTrainer? trainer = null;
        try
        {
            trainer = new DlrmTrainer(model, manifest.Optimizer);
            await ReadVerifiedAsync(id, modelFile,
                stream => CheckpointTensors.RestoreModel(OpenTensors(stream, modelFile), model, manifest.Model.CurrentWidths, cancellationToken), cancellationToken);
            await ReadVerifiedAsync(id, optimizerFile,
                stream => CheckpointTensors.RestoreOptimizer(OpenTensors(stream, optimizerFile), trainer, cancellationToken), cancellationToken);
            // model.json and any other file the manifest vouches for (older checkpoints have none).
            foreach (var other in manifest.Files.Where(f => f != modelFile && f != optimizerFile))
                await ReadVerifiedAsync(id, other, consume: null, cancellationToken);
            trainer.SetCounters(manifest.Counters.Steps, manifest.Counters.Samples);
            return new RestoredCheckpoint(model, trainer, manifest);
        }
        catch
        {
            trainer?.Dispose();
            model.Dispose();
            throw;
        }
    }

    private static CheckpointFile FileOf(CheckpointManifest manifest, string name) =>
        manifest.Files.SingleOrDefault(f => f.Name == name) ?? throw new InvalidDataException($"The manifest lists no {name}.");

    private static SafetensorsReader OpenTensors(Stream stream, CheckpointFile file)
    {
        var reader = SafetensorsReader.Open(stream);
        if (reader.FileLength != file.Bytes) throw new InvalidDataException($"{file.Name}'s header describes {reader.FileLength} bytes, not {file.Bytes}.");
        return reader;
    }

    /// <summary>Verifies one checkpoint (fully unless told otherwise); a problem is reported in the status, never thrown.</summary>
    private async Task<CheckpointStatus> InspectAsync(string id, DateTime createdUtc, CancellationToken cancellationToken, bool hashContents = true)
    {
        bool pinned = await IsPinnedAsync(id, cancellationToken);
        CheckpointManifest? manifest = null;
        try
        {
            manifest = await ReadManifestAsync(id, cancellationToken);
            foreach (var file in manifest.Files)
            {
                if (hashContents) await ReadVerifiedAsync(id, file, consume: null, cancellationToken);
                else await CheckSizeAsync(id, file, cancellationToken);
            }
            return new CheckpointStatus(id, createdUtc, pinned, manifest, Problem: null);
        }
        catch (Exception e) when (IsUnusable(e) || e is CheckpointException)
        {
            return new CheckpointStatus(id, createdUtc, pinned, manifest, e.Message);
        }
    }

    private ValueTask CheckSizeAsync(string id, CheckpointFile file, CancellationToken cancellationToken) =>
        RetryAsync(async ct =>
        {
            await using var stream = await OpenAsync(id, file.Name, ct);
            if (stream.Length != file.Bytes)
                throw new InvalidDataException($"{file.Name} is {stream.Length} bytes, but the manifest says {file.Bytes}: it was truncated or replaced.");
        }, cancellationToken);

    private async Task<CheckpointManifest> ReadManifestAsync(string id, CancellationToken cancellationToken)
    {
        var manifest = await RetryAsync(async ct =>
        {
            await using var stream = await OpenAsync(id, CheckpointFiles.Manifest, ct);
            return await ManifestJson.ReadAsync(stream, ct);
        }, cancellationToken);
        if (manifest.Id != id) throw new InvalidDataException($"manifest.json belongs to {manifest.Id}, not {id}.");
        return manifest;
    }

    /// <summary>
    /// Reads a file once, letting <paramref name="consume"/> parse it while it is hashed, then checks its size and
    /// SHA-256 against the manifest. Whatever consume built from a file that fails the check must be thrown away.
    /// </summary>
    private Task ReadVerifiedAsync(string id, CheckpointFile file, Action<Stream>? consume, CancellationToken cancellationToken) =>
        RetryAsync(async ct =>
        {
            await using var stream = await OpenAsync(id, file.Name, ct);
            if (stream.CanSeek && stream.Length != file.Bytes)
                throw new InvalidDataException($"{file.Name} is {stream.Length} bytes, but the manifest says {file.Bytes}: it was truncated or replaced.");
            await using var hashing = new HashingStream(stream, leaveOpen: true);
            consume?.Invoke(hashing);
            await hashing.CopyToAsync(Stream.Null, ct);
            if (hashing.Count != file.Bytes)
                throw new InvalidDataException($"{file.Name} holds {hashing.Count} bytes, but the manifest says {file.Bytes}.");
            if (!string.Equals(hashing.Sha256(), file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{file.Name} does not match its SHA-256: the file is corrupt.");
        }, cancellationToken).AsTask();

    private async Task<Stream> OpenAsync(string id, string file, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.OpenReadAsync(id, file, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidDataException($"{file} is missing: the checkpoint is incomplete.");
        }
    }

    /// <summary>Checkpoints newest first, by the sequence in their names; temporary and foreign folders are not checkpoints.</summary>
    private async Task<IReadOnlyList<(string Id, DateTime CreatedUtc)>> ListIdsAsync(CancellationToken cancellationToken)
    {
        var folders = await RetryAsync(_store.ListFoldersAsync, cancellationToken);
        var ids = new List<(string, DateTime)>();
        foreach (var folder in folders.Order(CheckpointId.NewestFirst))
            if (CheckpointId.TryParse(folder, out var createdUtc)) ids.Add((folder, createdUtc));
        return ids;
    }

    /// <summary>One more than the highest sequence of any checkpoint in the store, damaged ones included, so it never repeats.</summary>
    private async Task<long> NextSequenceAsync(CancellationToken cancellationToken)
    {
        long highest = 0;
        foreach (var folder in await RetryAsync(_store.ListFoldersAsync, cancellationToken))
            if (CheckpointId.TryParse(folder, out _, out long sequence)) highest = Math.Max(highest, sequence);
        return highest + 1;
    }

    private async Task<DateTime> RequireExistingAsync(string id, CancellationToken cancellationToken)
    {
        foreach (var (existing, createdUtc) in await ListIdsAsync(cancellationToken))
            if (existing == id) return createdUtc;
        throw new CheckpointException($"There is no checkpoint '{id}' in {_store.Location}.");
    }

    private async Task<bool> IsPinnedAsync(string id, CancellationToken cancellationToken) =>
        await RetryAsync(ct => _store.FileExistsAsync(id, CheckpointFiles.Pinned, ct), cancellationToken);

    /// <summary>Renamed aside first, so a crash part-way never leaves a checkpoint folder with files missing.</summary>
    private async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!_store.CanRenameFolders)
        {
            await RetryAsync(ct => _store.DeleteFolderAsync(id, ct), cancellationToken);
            LogDeleted(id);
            return;
        }
        var aside = CheckpointId.DeletingFolder(id);
        await RetryAsync(ct => _store.DeleteFolderAsync(aside, ct), cancellationToken);
        await RetryAsync(ct => _store.RenameFolderAsync(id, aside, ct), cancellationToken);
        await RetryAsync(_store.SyncRootAsync, cancellationToken);
        await RetryAsync(ct => _store.DeleteFolderAsync(aside, ct), cancellationToken);
        LogDeleted(id);
    }

    private async Task RemoveTemporaryFolderAsync(string folder)
    {
        try
        {
            // Cleaning up must not depend on the token that may have just cancelled the write.
            await RetryAsync(ct => _store.DeleteFolderAsync(folder, ct), CancellationToken.None);
        }
        catch (Exception e)
        {
            LogTemporaryFolderLeft(e, folder);
        }
    }

    /// <summary>Faults of one checkpoint's content, as opposed to the store failing or a newer format.</summary>
    private static bool IsUnusable(Exception exception) =>
        exception is InvalidDataException or FileNotFoundException or DirectoryNotFoundException;

    /// <summary>Counts and logs a checkpoint passed over, also by those who found it damaged elsewhere (a pull).</summary>
    internal void Skip(string id, string problem)
    {
        Interlocked.Increment(ref _skipped);
        LogSkipped(id, problem);
    }

    private ValueTask RetryAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async ct => await operation(ct), cancellationToken);

    private ValueTask<T> RetryAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async ct => await operation(ct), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Id} written: {Bytes} bytes in {Seconds:F2} s ({MegabytesPerSecond:F0} MB/s)")]
    private partial void LogSaved(string id, long bytes, double seconds, double megabytesPerSecond);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored checkpoint {Id} at step {Steps} onto {Device}")]
    private partial void LogRestored(string id, long steps, string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grew the model of checkpoint {Id} by the appended features {Features}: it computes what it did until it learns from them")]
    private partial void LogGrown(string id, string features);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping checkpoint {Id}: {Problem}")]
    private partial void LogSkipped(string id, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted checkpoint {Id} (retention)")]
    private partial void LogDeleted(string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Folder}, left by an interrupted write or delete")]
    private partial void LogRemovedStale(string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove temporary folder {Folder}; it is ignored, and removed at the next start")]
    private partial void LogTemporaryFolderLeft(Exception exception, string folder);
}
