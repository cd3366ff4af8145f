using Recurring.Checkpointing.Tests.Support;

namespace Recurring.Checkpointing.Tests;

public class LocalCheckpointStoreTests
{
    [Fact]
    public async Task FolderAndRootFlushToDisk()
    {
        using var directory = new TemporaryDirectory();
        var store = new LocalCheckpointStore(directory.Path);
        await store.CreateFolderAsync("a", CancellationToken.None);

        await store.SyncFolderAsync("a", CancellationToken.None);
        await store.SyncRootAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SyncingAMissingFolderReportsTheErrno()
    {
        using var directory = new TemporaryDirectory();
        var error = await Assert.ThrowsAsync<IOException>(() => new LocalCheckpointStore(directory.Path).SyncFolderAsync("missing", CancellationToken.None));
        Assert.Equal(2, error.HResult); // ENOENT
    }

    [Fact]
    public async Task RenameRefusesToReplaceAnExistingFolder()
    {
        using var directory = new TemporaryDirectory();
        var store = new LocalCheckpointStore(directory.Path);
        await store.CreateFolderAsync("a", CancellationToken.None);
        await store.CreateFolderAsync("b", CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => store.RenameFolderAsync("a", "b", CancellationToken.None));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task NamesThatLeaveTheRootAreRefused(string name)
    {
        using var directory = new TemporaryDirectory();
        await Assert.ThrowsAsync<ArgumentException>(() => new LocalCheckpointStore(directory.Path).CreateFolderAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task ListingAMissingRootFindsNothing() =>
        Assert.Empty(await new LocalCheckpointStore("/nonexistent/recurring-checkpoints").ListFoldersAsync(CancellationToken.None));
}
