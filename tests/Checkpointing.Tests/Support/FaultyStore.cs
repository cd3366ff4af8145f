namespace Recurring.Checkpointing.Tests.Support;

/// <summary>
/// A local store that fails at its k-th operation, counting every store call and every write into a file. As a
/// crash, every operation from the k-th on fails (nothing runs after a crash, cleanup included); as a fault, only
/// the k-th does.
/// </summary>
internal sealed class FaultyStore(string root, int failAt, bool crash, Func<Exception>? fault = null) : ICheckpointStore
{
    private readonly LocalCheckpointStore _inner = new(root);

    public int Operations { get; private set; }

    public string Location => _inner.Location;

    private void Step()
    {
        Operations++;
        if (Operations == failAt || (crash && Operations > failAt))
            throw fault?.Invoke() ?? new IOException($"injected failure at operation {Operations}");
    }

    private async Task<T> Do<T>(Func<Task<T>> operation)
    {
        Step();
        return await operation();
    }

    private async Task Do(Func<Task> operation)
    {
        Step();
        await operation();
    }

    public Task<IReadOnlyList<string>> ListFoldersAsync(CancellationToken cancellationToken) => Do(() => _inner.ListFoldersAsync(cancellationToken));
    public Task CreateFolderAsync(string folder, CancellationToken cancellationToken) => Do(() => _inner.CreateFolderAsync(folder, cancellationToken));

    public Task WriteFileAsync(string folder, string file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        Do(() => _inner.WriteFileAsync(folder, file, async (stream, ct) => await write(new FaultyStream(stream, Step), ct), cancellationToken));

    public Task<Stream> OpenReadAsync(string folder, string file, CancellationToken cancellationToken) => Do(() => _inner.OpenReadAsync(folder, file, cancellationToken));
    public Task<bool> FileExistsAsync(string folder, string file, CancellationToken cancellationToken) => Do(() => _inner.FileExistsAsync(folder, file, cancellationToken));
    public Task DeleteFileAsync(string folder, string file, CancellationToken cancellationToken) => Do(() => _inner.DeleteFileAsync(folder, file, cancellationToken));
    public Task SyncFolderAsync(string folder, CancellationToken cancellationToken) => Do(() => _inner.SyncFolderAsync(folder, cancellationToken));
    public Task SyncRootAsync(CancellationToken cancellationToken) => Do(() => _inner.SyncRootAsync(cancellationToken));
    public Task RenameFolderAsync(string from, string to, CancellationToken cancellationToken) => Do(() => _inner.RenameFolderAsync(from, to, cancellationToken));
    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken) => Do(() => _inner.DeleteFolderAsync(folder, cancellationToken));

    /// <summary>Counts each write as an operation, so a failure can land in the middle of a file.</summary>
    private sealed class FaultyStream(Stream inner, Action step) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            step();
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            step();
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
