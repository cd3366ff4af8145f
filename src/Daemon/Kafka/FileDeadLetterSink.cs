using System.Text.Json;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Appends each dead letter as one JSON object per line (payload and key in base64, the reason, the source position
/// and the payload's original size and SHA-256 as fields), flushed before <see cref="WriteAsync"/> returns. For when there is no dead-letter topic. The
/// file (and its folder) is created with the first letter, so a daemon with clean input leaves none behind.
/// <see cref="SyncAsync"/> makes the lines durable (fsync); the trainer calls it before each checkpoint.
/// </summary>
public sealed class FileDeadLetterSink : IDeadLetterSink
{
    private static readonly JsonSerializerOptions LineFormat = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly SemaphoreSlim _writing = new(1, 1);
    private FileStream? _file;

    private readonly Action<FileStream> _flushToDisk;

    /// <summary>Appends to <paramref name="path"/>, creating it and its folder when missing.</summary>
    public FileDeadLetterSink(string path) : this(path, file => file.Flush(flushToDisk: true))
    {
    }

    /// <param name="flushToDisk">fsync(2) of the file; tests substitute one that records what reached the disk.</param>
    internal FileDeadLetterSink(string path, Action<FileStream> flushToDisk)
    {
        Path = System.IO.Path.GetFullPath(path);
        _flushToDisk = flushToDisk;
    }

    public string Path { get; }

    public string Description => $"file {Path}";

    public DeadLetterCounts Written { get; } = new();

    public async ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        byte[] line =
        [
            .. JsonSerializer.SerializeToUtf8Bytes(new Line(letter.Timestamp, letter.Reason.Kind, letter.Reason.Message,
                letter.SourceTopic, letter.SourcePartition, letter.SourceOffset, letter.Key, letter.Payload, letter.Original.Bytes, letter.Original.Sha256,
                letter.IsTruncated), LineFormat),
            (byte)'\n',
        ];
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var file = _file ??= Open();
            // Once started, a line is written whole: a cancelled write could leave half a line that breaks the file.
            await file.WriteAsync(line, CancellationToken.None);
            await file.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _writing.Release();
        }
        Written.Add(letter.Reason.Kind);
    }

    public async ValueTask SyncAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (_file is { } file) _flushToDisk(file);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>The folder exists or can be created, and a file can be created in it (and is removed again).</summary>
    public Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var folder = System.IO.Path.GetDirectoryName(Path)!;
            Directory.CreateDirectory(folder);
            var probe = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(Path)}.probe-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose))
            {
            }
            return Task.FromResult<string?>(null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult<string?>($"{Path} cannot be written: {e.Message}");
        }
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        return new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 4096, useAsync: true);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _writing.Dispose();
    }

    private sealed record Line(
        DateTimeOffset Timestamp,
        string Kind,
        string Reason,
        string SourceTopic,
        int SourcePartition,
        long SourceOffset,
        byte[]? Key,
        byte[] Payload,
        long PayloadBytes,
        string PayloadSha256,
        bool PayloadTruncated);
}
