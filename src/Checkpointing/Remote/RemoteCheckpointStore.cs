using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Recurring.Core.Data;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Remote;

/// <summary>A checkpoint whose remote copy is complete: every file uploaded and read back, the manifest last.</summary>
/// <param name="Duration">The whole copy: verifying the local files, uploading, reading back.</param>
/// <param name="Transfer">The uploads alone.</param>
public sealed record RemoteCheckpointCopy(string Id, string Uri, string LocalPath, long Bytes, TimeSpan Duration, TimeSpan Transfer, CheckpointManifest Manifest)
{
    public double BytesPerSecond => Bytes / Duration.TotalSeconds;

    public double TransferBytesPerSecond => Bytes / Transfer.TotalSeconds;
}

/// <summary>
/// Copies checkpoints between the local folder and an object store. Upload: the local copy is verified first, then
/// the tensor files go up, each read back and checked against the manifest's size and SHA-256, then the pin marker,
/// then the manifest, the commit marker: a checkpoint is remote only once its manifest is there, and a manifest is
/// there only after all its files were. Pull: files come down into a temporary local folder, are checked against the
/// manifest the same way, and the folder is renamed into place. Transient failures are retried (Polly).
/// </summary>
public sealed partial class RemoteCheckpointStore : IDisposable
{
    private readonly LocalCheckpointStore _localStore;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;

    /// <param name="logRetries">False leaves retries unlogged: the replicator logs once per outage instead.</param>
    /// <param name="local">The manager of <see cref="CheckpointOptions.Directory"/> that the caller already has, so
    /// its skip counts include restores through this store.</param>
    public RemoteCheckpointStore(IObjectStore objects, CheckpointOptions options, ILoggerFactory? loggers = null, bool logRetries = true, CheckpointManager? local = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        Objects = objects;
        Options = options;
        _logger = loggers.CreateLogger<RemoteCheckpointStore>();
        _localStore = new LocalCheckpointStore(options.Directory);
        Local = local ?? new CheckpointManager(_localStore, options, loggers.CreateLogger<CheckpointManager>());
        Remote = new CheckpointManager(new ObjectCheckpointStore(objects), options, loggers.CreateLogger<CheckpointManager>());
        _retry = StorageRetry.Build(options, logRetries ? _logger : NullLogger.Instance);
    }

    /// <summary>Opens the store <see cref="CheckpointOptions.Remote"/> describes (or <paramref name="uri"/>) for the local <see cref="CheckpointOptions.Directory"/>.</summary>
    public static RemoteCheckpointStore Open(CheckpointOptions options, string? uri = null, ILoggerFactory? loggers = null, bool logRetries = true, CheckpointManager? local = null) =>
        new(ObjectStores.Open(options.Remote, uri), options, loggers, logRetries, local);

    public IObjectStore Objects { get; }

    public CheckpointOptions Options { get; }

    /// <summary>The remote checkpoints: list, verify, pin, unpin and retention work there as they do locally.</summary>
    public CheckpointManager Remote { get; }

    /// <summary>The local folder the copies come from and go to.</summary>
    public CheckpointManager Local { get; }

    public string Location => Objects.Location;

    /// <summary>Uploads a local checkpoint; throws <see cref="CheckpointException"/> when the local copy is missing or damaged.</summary>
    public async Task<RemoteCheckpointCopy> UploadAsync(string id, CancellationToken cancellationToken)
    {
        long started = TimeProvider.System.GetTimestamp();
        var local = await Local.VerifyAsync(id, cancellationToken);
        if (!local.IsValid) throw new CheckpointException($"Checkpoint {id} is not uploaded: its local copy is damaged: {local.Problem}");
        var manifest = local.Manifest!;
        var transfer = TimeSpan.Zero;
        foreach (var file in manifest.Files)
        {
            var key = ObjectCheckpointStore.Key(id, file.Name);
            var path = Path.Combine(_localStore.Location, id, file.Name);
            await _retry.ExecuteAsync(async ct =>
            {
                long uploading = TimeProvider.System.GetTimestamp();
                await Objects.UploadFileAsync(key, path, ct);
                transfer += TimeProvider.System.GetElapsedTime(uploading);
                await CheckUploadAsync(key, file, ct);
            }, cancellationToken);
        }
        if (local.Pinned) await _retry.ExecuteAsync(async ct => await Objects.PutAsync(ObjectCheckpointStore.Key(id, CheckpointFiles.Pinned), ReadOnlyMemory<byte>.Empty, ct), cancellationToken);
        var manifestBytes = await File.ReadAllBytesAsync(Path.Combine(_localStore.Location, id, CheckpointFiles.Manifest), cancellationToken);
        var manifestFile = new CheckpointFile(CheckpointFiles.Manifest, manifestBytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifestBytes)));
        var manifestKey = ObjectCheckpointStore.Key(id, CheckpointFiles.Manifest);
        await _retry.ExecuteAsync(async ct =>
        {
            await Objects.PutAsync(manifestKey, manifestBytes, ct);
            await CheckUploadAsync(manifestKey, manifestFile, ct);
        }, cancellationToken);
        var copy = new RemoteCheckpointCopy(id, $"{Location}/{id}", Path.Combine(_localStore.Location, id),
            manifest.FileBytes, TimeProvider.System.GetElapsedTime(started), transfer, manifest);
        LogUploaded(id, Location, copy.Bytes, copy.Duration.TotalSeconds, copy.BytesPerSecond / 1e6);
        return copy;
    }

    /// <summary>
    /// Downloads a remote checkpoint into the local folder and verifies it there before it appears under its name. A
    /// damaged local copy of the same checkpoint is replaced. Throws <see cref="InvalidDataException"/> when the remote
    /// copy is incomplete or does not match its manifest, and <see cref="CheckpointException"/> when there is none.
    /// </summary>
    public async Task PullAsync(string id, CancellationToken cancellationToken)
    {
        var manifest = await ReadRemoteManifestAsync(id, cancellationToken);
        var folder = CheckpointId.TemporaryPrefix + "pull-" + id;
        bool placed = false;
        try
        {
            await _retry.ExecuteAsync(async ct => await _localStore.DeleteFolderAsync(folder, ct), cancellationToken);
            await _localStore.CreateFolderAsync(folder, cancellationToken);
            foreach (var file in manifest.Files)
                await _retry.ExecuteAsync(async ct => await DownloadVerifiedAsync(id, folder, file, ct), cancellationToken);
            await _retry.ExecuteAsync(async ct => await DownloadVerifiedAsync(id, folder, null, ct), cancellationToken);
            if (await Remote.VerifyAsync(id, cancellationToken) is { Pinned: true })
                await _localStore.WriteFileAsync(folder, CheckpointFiles.Pinned, (_, _) => Task.CompletedTask, cancellationToken);
            await _localStore.SyncFolderAsync(folder, cancellationToken);
            if ((await _localStore.ListFoldersAsync(cancellationToken)).Contains(id))
            {
                // A damaged local copy: set aside (removed at the next start if this process dies first), then replaced.
                var aside = CheckpointId.DeletingFolder(id);
                await _localStore.DeleteFolderAsync(aside, cancellationToken);
                await _localStore.RenameFolderAsync(id, aside, cancellationToken);
                await _localStore.RenameFolderAsync(folder, id, cancellationToken);
                await _localStore.DeleteFolderAsync(aside, cancellationToken);
            }
            else await _localStore.RenameFolderAsync(folder, id, cancellationToken);
            placed = true;
            await _localStore.SyncRootAsync(cancellationToken);
        }
        finally
        {
            if (!placed) await _localStore.DeleteFolderAsync(folder, CancellationToken.None);
        }
        LogPulled(id, Location, manifest.FileBytes);
    }

    /// <summary>
    /// Restores the newest checkpoint that verifies among the local and the remote ones: the newest local one, unless
    /// the store has a newer complete one, which is pulled (and verified) first. A remote checkpoint that fails
    /// verification is skipped, counted in <see cref="CheckpointManager.SkippedCheckpoints"/> of <see cref="Remote"/>.
    /// </summary>
    public async Task<RestoredCheckpoint?> RestoreLatestAsync(Device device, Func<CheckpointManifest, bool>? accept, CancellationToken cancellationToken,
        FeatureSchema? features = null)
    {
        var restored = await Local.RestoreLatestAsync(device, accept, cancellationToken, features);
        IReadOnlyList<CheckpointStatus> remote;
        try
        {
            remote = await ListWithoutHashingAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The local volume is the write-ahead copy: resuming from it is safe. Starting from nothing is not, while
            // the store may hold the model.
            if (restored is null)
                throw new CheckpointException($"There is no local checkpoint, and {Location} cannot be read to look for one: {e.Message}", e);
            LogStoreUnreadableAtRestore(Location, restored.Manifest.Id, e.Message);
            return restored;
        }
        foreach (var candidate in remote)
        {
            if (restored is not null && string.CompareOrdinal(candidate.Id, restored.Manifest.Id) <= 0) break;
            if (!candidate.IsValid || (accept is not null && !accept(candidate.Manifest!))) continue;
            try
            {
                await PullAsync(candidate.Id, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                Remote.Skip(candidate.Id, e.Message);
                continue;
            }
            var pulled = await Local.RestoreLatestAsync(device, manifest => manifest.Id == candidate.Id, cancellationToken, features);
            if (pulled is null) continue;
            restored?.Dispose();
            return pulled;
        }
        return restored;
    }

    /// <summary>
    /// The remote checkpoints newest first, each checked against one listing of the store (manifest present and
    /// readable, every file there at its size) without downloading the tensor files.
    /// </summary>
    public async Task<IReadOnlyList<CheckpointStatus>> ListWithoutHashingAsync(CancellationToken cancellationToken)
    {
        var objects = await _retry.ExecuteAsync(async ct => await Objects.ListAsync("", ct), cancellationToken);
        var sizes = objects.ToDictionary(o => o.Key, o => o.Bytes, StringComparer.Ordinal);
        var statuses = new List<CheckpointStatus>();
        foreach (var id in objects.Select(o => o.Key.Split('/')[0]).Distinct().Order(StringComparer.Ordinal).Reverse())
        {
            if (!CheckpointId.TryParse(id, out var createdUtc)) continue;
            bool pinned = sizes.ContainsKey(ObjectCheckpointStore.Key(id, CheckpointFiles.Pinned));
            if (!sizes.ContainsKey(ObjectCheckpointStore.Key(id, CheckpointFiles.Manifest)))
            {
                statuses.Add(new CheckpointStatus(id, createdUtc, pinned, null, "manifest.json is missing: the upload is in progress or was interrupted."));
                continue;
            }
            try
            {
                var manifest = await _retry.ExecuteAsync(async ct =>
                {
                    await using var stream = await Objects.OpenReadAsync(ObjectCheckpointStore.Key(id, CheckpointFiles.Manifest), ct);
                    return await ManifestJson.ReadAsync(stream, ct);
                }, cancellationToken);
                var problem = manifest.Id != id ? $"manifest.json belongs to {manifest.Id}, not {id}." : null;
                foreach (var file in manifest.Files)
                {
                    if (problem is not null) break;
                    if (!sizes.TryGetValue(ObjectCheckpointStore.Key(id, file.Name), out long bytes)) problem = $"{file.Name} is missing: the checkpoint is incomplete.";
                    else if (bytes != file.Bytes) problem = $"{file.Name} is {bytes} bytes, but the manifest says {file.Bytes}: it was truncated or replaced.";
                }
                statuses.Add(new CheckpointStatus(id, createdUtc, pinned, manifest, problem));
            }
            catch (Exception e) when (e is InvalidDataException or CheckpointException or FileNotFoundException)
            {
                statuses.Add(new CheckpointStatus(id, createdUtc, pinned, null, e.Message));
            }
        }
        return statuses;
    }

    public void Dispose() => Objects.Dispose();

    /// <summary>Reads the object back and checks it against what was uploaded, so a truncated or altered upload is retried.</summary>
    private async Task CheckUploadAsync(string key, CheckpointFile file, CancellationToken cancellationToken)
    {
        await using var stream = await Objects.OpenReadAsync(key, cancellationToken);
        await using var hashing = new HashingStream(stream, leaveOpen: true);
        await hashing.CopyToAsync(Stream.Null, cancellationToken);
        if (hashing.Count != file.Bytes || !string.Equals(hashing.Sha256(), file.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new IOException($"{Location}/{key} reads back as {hashing.Count} bytes with another SHA-256 than the {file.Bytes} bytes uploaded.");
    }

    private async Task<CheckpointManifest> ReadRemoteManifestAsync(string id, CancellationToken cancellationToken)
    {
        var found = (await ListWithoutHashingAsync(cancellationToken)).FirstOrDefault(s => s.Id == id) ?? throw new CheckpointException($"There is no checkpoint '{id}' in {Location}.");
        return found.Manifest ?? throw new InvalidDataException($"{id} in {Location} is incomplete: {found.Problem}");
    }

    /// <param name="file">A tensor file, checked against the manifest; null for the manifest itself.</param>
    private async Task DownloadVerifiedAsync(string id, string folder, CheckpointFile? file, CancellationToken cancellationToken)
    {
        var name = file?.Name ?? CheckpointFiles.Manifest;
        await using var source = await Objects.OpenReadAsync(ObjectCheckpointStore.Key(id, name), cancellationToken);
        if (file is not null && source.Length != file.Bytes)
            throw new InvalidDataException($"{name} of {id} is {source.Length} bytes in {Location}, but the manifest says {file.Bytes}.");
        string? sha256 = null;
        long count = 0;
        await _localStore.WriteFileAsync(folder, name, async (destination, ct) =>
        {
            await using var hashing = new HashingStream(destination, leaveOpen: true);
            await source.CopyToAsync(hashing, 8 << 20, ct);
            sha256 = hashing.Sha256();
            count = hashing.Count;
        }, cancellationToken);
        if (file is not null && (count != file.Bytes || !string.Equals(sha256, file.Sha256, StringComparison.OrdinalIgnoreCase)))
            throw new InvalidDataException($"{name} of {id} in {Location} does not match its SHA-256: the remote copy is corrupt.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Id} copied to {Location}: {Bytes} bytes in {Seconds:F2} s ({MegabytesPerSecond:F0} MB/s)")]
    private partial void LogUploaded(string id, string location, long bytes, double seconds, double megabytesPerSecond);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Location} cannot be read ({Problem}); resuming from the local checkpoint {Id}, which may be older than the newest remote one")]
    private partial void LogStoreUnreadableAtRestore(string location, string id, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Id} pulled from {Location}: {Bytes} bytes, verified")]
    private partial void LogPulled(string id, string location, long bytes);
}
