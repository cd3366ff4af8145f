using System.Runtime.InteropServices;

namespace Recurring.Checkpointing;

/// <summary>Checkpoints in a local folder or a mounted volume.</summary>
public sealed partial class LocalCheckpointStore : ICheckpointStore
{
    // Large tensor writes bypass the buffer; it only gathers the header and the manifest.
    private const int BufferBytes = 1 << 20;

    private readonly IStorageDurability _durability;

    public LocalCheckpointStore(string root) : this(root, FsyncDurability.Instance)
    {
    }

    internal LocalCheckpointStore(string root, IStorageDurability durability)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Location = Path.GetFullPath(root);
        _durability = durability;
    }

    /// <summary>The root folder's full path.</summary>
    public string Location { get; }

    public Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> folders = Directory.Exists(Location)
            ? Directory.EnumerateDirectories(Location).Select(path => Path.GetFileName(path)).ToArray()
            : [];
        return Task.FromResult(folders);
    }

    public Task CreateFolderAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(PathOf(folder));
        return Task.CompletedTask;
    }

    public async Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(PathOf(folder, file), FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes);
        await write(stream, cancellationToken);
        _durability.FlushFile(stream);
    }

    public Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(PathOf(folder, file), FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes, FileOptions.SequentialScan));

    public Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(folder, file)));

    public Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(folder, file));
        return Task.CompletedTask;
    }

    public Task SyncFolderAsync(string folder, CancellationToken cancellationToken)
    {
        _durability.FlushDirectory(PathOf(folder));
        return Task.CompletedTask;
    }

    public Task SyncRootAsync(CancellationToken cancellationToken)
    {
        _durability.FlushDirectory(Location);
        return Task.CompletedTask;
    }

    public Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken)
    {
        // rename(2) is atomic within one file system; Directory.Move refuses when the target exists.
        Directory.Move(PathOf(from), PathOf(to));
        return Task.CompletedTask;
    }

    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        var path = PathOf(folder);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        return Task.CompletedTask;
    }

    private string PathOf(string folder, string? file = null)
    {
        RequireSegment(folder);
        if (file is null) return Path.Combine(Location, folder);
        RequireSegment(file);
        return Path.Combine(Location, folder, file);
    }

    private static void RequireSegment(string name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new ArgumentException($"'{name}' is not a single file or folder name.", nameof(name));
    }

    private sealed class FsyncDurability : IStorageDurability
    {
        public static readonly FsyncDurability Instance = new();

        public void FlushFile(FileStream stream) => stream.Flush(flushToDisk: true);

        public void FlushDirectory(string path) => SyncDirectory(path);
    }

    /// <summary>
    /// fsync(2) on a directory persists the names created, renamed or removed in it. .NET refuses to open a directory
    /// as a file, so this goes to libc; on other systems renames are already journaled or cannot be forced.
    /// </summary>
    private static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        int descriptor = Libc.Open(path, Libc.ReadOnly);
        if (descriptor < 0) throw LastError("open", path);
        try
        {
            if (Libc.Fsync(descriptor) != 0) throw LastError("fsync", path);
        }
        finally
        {
            Libc.Close(descriptor);
        }
    }

    // Carries errno as HResult, as .NET's own IOExceptions do on Unix, so retry decisions can read it.
    private static IOException LastError(string call, string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of directory '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    private static partial class Libc
    {
        public const int ReadOnly = 0;

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int descriptor);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int descriptor);
    }
}
