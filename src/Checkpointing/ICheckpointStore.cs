namespace Recurring.Checkpointing;

/// <summary>
/// Where checkpoint folders live, at the granularity the atomic write protocol needs. Folder and file names are
/// single path segments under the store's root. Implementations report failures as exceptions and do not retry:
/// <see cref="CheckpointManager"/> retries transient ones.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Where the checkpoints are, for messages.</summary>
    string Location { get; }

    /// <summary>The names of the folders under the root; empty when the root does not exist.</summary>
    Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken);

    /// <summary>Creates a folder (and the root when missing); nothing happens when it exists.</summary>
    Task CreateFolderAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a file, lets <paramref name="write"/> fill it, then flushes it to stable storage and closes it.</summary>
    Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading; throws <see cref="FileNotFoundException"/> or <see cref="DirectoryNotFoundException"/> when it is not there.</summary>
    Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken);

    Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken);

    /// <summary>Deletes a file; nothing happens when it is not there.</summary>
    Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken);

    /// <summary>Makes the creation, renaming and removal of a folder's entries durable.</summary>
    Task SyncFolderAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Makes the creation, renaming and removal of the root's folders durable.</summary>
    Task SyncRootAsync(CancellationToken cancellationToken);

    /// <summary>
    /// False for object stores: they delete a checkpoint with <see cref="DeleteFolderAsync"/>, which must remove the
    /// manifest first, instead of renaming it aside.
    /// </summary>
    bool CanRenameFolders => true;

    /// <summary>Renames a folder atomically; fails when <paramref name="to"/> exists.</summary>
    Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken);

    /// <summary>Deletes a folder and everything in it; nothing happens when it is not there.</summary>
    Task DeleteFolderAsync(string folder, CancellationToken cancellationToken);
}
