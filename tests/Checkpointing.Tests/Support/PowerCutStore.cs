namespace Recurring.Checkpointing.Tests.Support;

/// <summary>
/// A <see cref="LocalCheckpointStore"/> whose flushes are watched, so that <see cref="CutPower"/> can put the folder
/// into the state a power cut would leave: a file keeps only the contents it had at its last fsync (nothing, if it
/// never had one), and a folder keeps only the entries it had at its last directory fsync, so a created, renamed or
/// removed name that was never flushed is undone. This is the conservative POSIX model (ext4 with data=writeback,
/// XFS): it is what an omitted fsync can cost, so a test against it fails when one is missing.
/// <para>
/// <see cref="CrashAfter"/> also stops the process part-way: from the n-th operation on (store calls and flushes
/// alike) every call throws, as nothing runs after a crash.
/// </para>
/// </summary>
internal sealed class PowerCutStore : ICheckpointStore, IStorageDurability
{
    private readonly LocalCheckpointStore _inner;
    private Dictionary<string, Folder> _root = new(StringComparer.Ordinal);
    private Dictionary<string, Folder> _durableRoot = new(StringComparer.Ordinal);
    private int _operations;
    private int? _crashAt;

    /// <summary>What is already in <paramref name="root"/> counts as durable.</summary>
    public PowerCutStore(string root)
    {
        _inner = new LocalCheckpointStore(root, this);
        if (Directory.Exists(Location))
        {
            foreach (var path in Directory.GetDirectories(Location))
            {
                var folder = new Folder();
                foreach (var file in Directory.GetFiles(path)) folder.Entries[Path.GetFileName(file)] = new Node { Durable = File.ReadAllBytes(file) };
                folder.FlushEntries();
                _root[Path.GetFileName(path)] = folder;
            }
        }
        _durableRoot = new Dictionary<string, Folder>(_root, StringComparer.Ordinal);
    }

    public string Location => _inner.Location;

    /// <summary>Operations (store calls and flushes) so far.</summary>
    public int Operations => _operations;

    /// <summary>Every operation from the <paramref name="operations"/>-th after now on throws.</summary>
    public void CrashAfter(int operations) => _crashAt = _operations + operations;

    /// <summary>Rewrites the folder as the power cut leaves it; the store then works again, from that state.</summary>
    public void CutPower()
    {
        Directory.Delete(Location, recursive: true);
        Directory.CreateDirectory(Location);
        foreach (var (name, folder) in _durableRoot)
        {
            var path = Directory.CreateDirectory(Path.Combine(Location, name)).FullName;
            foreach (var (file, node) in folder.DurableEntries) File.WriteAllBytes(Path.Combine(path, file), node.Durable);
            folder.Entries = new Dictionary<string, Node>(folder.DurableEntries, StringComparer.Ordinal);
        }
        _root = new Dictionary<string, Folder>(_durableRoot, StringComparer.Ordinal);
        _crashAt = null;
    }

    private void Step()
    {
        _operations++;
        if (_operations >= _crashAt) throw new IOException($"crashed at operation {_operations}");
    }

    public Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken)
    {
        Step();
        return _inner.ListFoldersAsync(cancellationToken);
    }

    public async Task CreateFolderAsync(string folder, CancellationToken cancellationToken)
    {
        Step();
        await _inner.CreateFolderAsync(folder, cancellationToken);
        _root.TryAdd(folder, new Folder());
    }

    public async Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        Step();
        var entries = _root[folder].Entries;
        // Replacing a file's contents keeps the inode, and with it the contents last flushed.
        if (!entries.TryGetValue(file, out var node)) entries[file] = node = new Node();
        node.FlushedDuringWrite = false;
        await _inner.WriteFileAsync(folder, file, write, cancellationToken);
        // Read once the store has closed the file; what the flush saw is what it holds now.
        if (node.FlushedDuringWrite) node.Durable = await File.ReadAllBytesAsync(Path.Combine(Location, folder, file), cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken)
    {
        Step();
        return _inner.OpenReadAsync(folder, file, cancellationToken);
    }

    public Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken)
    {
        Step();
        return _inner.FileExistsAsync(folder, file, cancellationToken);
    }

    public async Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken)
    {
        Step();
        await _inner.DeleteFileAsync(folder, file, cancellationToken);
        if (_root.TryGetValue(folder, out var entries)) entries.Entries.Remove(file);
    }

    public Task SyncFolderAsync(string folder, CancellationToken cancellationToken)
    {
        Step();
        return _inner.SyncFolderAsync(folder, cancellationToken);
    }

    public Task SyncRootAsync(CancellationToken cancellationToken)
    {
        Step();
        return _inner.SyncRootAsync(cancellationToken);
    }

    public async Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken)
    {
        Step();
        await _inner.RenameFolderAsync(from, to, cancellationToken);
        _root[to] = _root[from];
        _root.Remove(from);
    }

    public async Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        Step();
        await _inner.DeleteFolderAsync(folder, cancellationToken);
        _root.Remove(folder);
    }

    void IStorageDurability.FlushFile(FileStream stream)
    {
        Step();
        stream.Flush();
        var folder = Path.GetFileName(Path.GetDirectoryName(stream.Name)!);
        _root[folder].Entries[Path.GetFileName(stream.Name)].FlushedDuringWrite = true;
    }

    void IStorageDurability.FlushDirectory(string path)
    {
        Step();
        if (Path.GetFullPath(path) == Location) _durableRoot = new Dictionary<string, Folder>(_root, StringComparer.Ordinal);
        else _root[Path.GetFileName(path)].FlushEntries();
    }

    /// <summary>A file's inode: the contents that survive a power cut.</summary>
    private sealed class Node
    {
        public byte[] Durable { get; set; } = [];
        public bool FlushedDuringWrite { get; set; }
    }

    /// <summary>A folder's inode: its entries now, and those that survive a power cut. A rename moves it whole.</summary>
    private sealed class Folder
    {
        public Dictionary<string, Node> Entries { get; set; } = new(StringComparer.Ordinal);
        public Dictionary<string, Node> DurableEntries { get; private set; } = new(StringComparer.Ordinal);

        public void FlushEntries() => DurableEntries = new Dictionary<string, Node>(Entries, StringComparer.Ordinal);
    }
}
