using System.Text.Json;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Appends each dead letter as one JSON object per line (payload and key in base64, the reason and the source
/// position as fields), flushed before <see cref="WriteAsync"/> returns. For when there is no dead-letter topic.
/// </summary>
public sealed class FileDeadLetterSink : IDeadLetterSink
{
    private static readonly JsonSerializerOptions LineFormat = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly FileStream _file;
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>Opens <paramref name="path"/> for appending, creating it and its folder when missing.</summary>
    public FileDeadLetterSink(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 4096, useAsync: true);
    }

    public string Path { get; }

    public DeadLetterCounts Written { get; } = new();

    public async ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        byte[] line =
        [
            .. JsonSerializer.SerializeToUtf8Bytes(new Line(letter.Timestamp, letter.Reason.Kind, letter.Reason.Message,
                letter.SourceTopic, letter.SourcePartition, letter.SourceOffset, letter.Key, letter.Payload), LineFormat),
            (byte)'\n',
        ];
        await _writing.WaitAsync(cancellationToken);
        try
        {
            // Once started, a line is written whole: a cancelled write could leave half a line that breaks the file.
            await _file.WriteAsync(line, CancellationToken.None);
            await _file.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _writing.Release();
        }
        Written.Add(letter.Reason.Kind);
    }

    public void Dispose()
    {
        _file.Dispose();
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
        byte[] Payload);
}
