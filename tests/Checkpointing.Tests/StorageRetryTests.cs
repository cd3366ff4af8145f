namespace Recurring.Checkpointing.Tests;

public class StorageRetryTests
{
    [Theory]
    [InlineData(28, false)]  // ENOSPC
    [InlineData(122, false)] // EDQUOT
    [InlineData(30, false)]  // EROFS
    [InlineData(5, true)]    // EIO
    [InlineData(4, true)]    // EINTR
    public void IoErrorsAreTransientUnlessRetryingCannotHelp(int errno, bool transient) =>
        Assert.Equal(transient, StorageRetry.IsTransient(new IOException("failed", errno)));

    [Fact]
    public void MissingFilesAndShortFilesAreNotTransient()
    {
        Assert.False(StorageRetry.IsTransient(new FileNotFoundException()));
        Assert.False(StorageRetry.IsTransient(new EndOfStreamException()));
    }

    [Fact]
    public void PermissionErrorsAreNotTransient() => Assert.False(StorageRetry.IsTransient(new UnauthorizedAccessException()));
}
