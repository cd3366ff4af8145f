namespace Recurring.Checkpointing;

/// <summary>
/// How <see cref="LocalCheckpointStore"/> makes what it wrote survive a power cut: file contents and directory entries
/// separately, as POSIX file systems require. Tests substitute one that records the calls, to simulate a power cut
/// that loses whatever was never flushed.
/// </summary>
internal interface IStorageDurability
{
    /// <summary>fsync(2) of an open file: its contents reach stable storage.</summary>
    void FlushFile(FileStream stream);

    /// <summary>fsync(2) of a directory: the names created, renamed or removed in it reach stable storage.</summary>
    void FlushDirectory(string path);
}
