namespace Recurring.Checkpointing.Remote;

/// <summary>
/// Checkpoint folders as key prefixes in an object store (<c>&lt;prefix&gt;/&lt;id&gt;/manifest.json</c>, ...), so that
/// <see cref="CheckpointManager"/> lists, verifies, pins, restores and prunes remote checkpoints as it does local
/// ones. Objects are durable once written, so the flushes do nothing. There is no atomic rename: a folder is deleted
/// manifest first, which uncommits the checkpoint before any of its files goes. Checkpoints reach a store through
/// <see cref="CheckpointUploader"/>, never through <see cref="CheckpointManager.SaveAsync"/>.
/// </summary>
public sealed class ObjectCheckpointStore(IObjectStore objects) : ICheckpointStore
{
    public IObjectStore Objects => objects;

    public string Location => objects.Location;

    public bool CanRenameFolders => false;

    public async Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken) =>
        (await objects.ListAsync("", cancellationToken))
            .Select(o => o.Key.Split('/')[0])
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    public Task CreateFolderAsync(string folder, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>For the small files the manager writes outside <see cref="CheckpointManager.SaveAsync"/>: the pin marker.</summary>
    public async Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken);
        await objects.PutAsync(Key(folder, file), buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken) =>
        objects.OpenReadAsync(Key(folder, file), cancellationToken);

    public Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken) =>
        objects.ExistsAsync(Key(folder, file), cancellationToken);

    public Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken) =>
        objects.DeleteAsync(Key(folder, file), cancellationToken);

    public Task SyncFolderAsync(string folder, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SyncRootAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Location} is an object store: folders cannot be renamed atomically there.");

    /// <summary>The manifest first: from then on the checkpoint is not a remote checkpoint, whatever is left of it.</summary>
    public async Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        await objects.DeleteAsync(Key(folder, CheckpointFiles.Manifest), cancellationToken);
        foreach (var item in await objects.ListAsync(folder + "/", cancellationToken))
            await objects.DeleteAsync(item.Key, cancellationToken);
    }

    /// <summary>The key of a checkpoint's file, relative to the store's prefix.</summary>
    public static string Key(string folder, string file) => $"{folder}/{file}";
}
