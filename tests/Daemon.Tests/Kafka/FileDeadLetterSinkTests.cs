using System.Text;
using System.Text.Json;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public sealed class FileDeadLetterSinkTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"recurring-dead-letters-{Guid.NewGuid():N}");

    private string FilePath => Path.Combine(_folder, "nested", "dead-letters.jsonl");

    private List<JsonElement> Lines() =>
        File.ReadAllLines(FilePath).Select(line => JsonDocument.Parse(line).RootElement).ToList();

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task EachLetterIsOneJsonLineWithThePayloadInBase64TheReasonAndTheSource()
    {
        var letter = DeadLetters.Malformed();
        using (var sink = new FileDeadLetterSink(FilePath)) await sink.WriteAsync(letter, CancellationToken.None);

        var line = Assert.Single(Lines());
        Assert.Equal("1\tnot-a-number", Encoding.UTF8.GetString(line.GetProperty("payload").GetBytesFromBase64()));
        Assert.Equal(letter.Key, line.GetProperty("key").GetBytesFromBase64());
        Assert.Equal("wrong-field-count", line.GetProperty("kind").GetString());
        Assert.Equal(letter.Reason.Message, line.GetProperty("reason").GetString());
        Assert.Equal("clicks", line.GetProperty("sourceTopic").GetString());
        Assert.Equal(3, line.GetProperty("sourcePartition").GetInt32());
        Assert.Equal(42, line.GetProperty("sourceOffset").GetInt64());
        Assert.Equal(DeadLetters.Rejected, line.GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public async Task ALetterIsOnDiskAsSoonAsTheWriteReturns()
    {
        using var sink = new FileDeadLetterSink(FilePath);
        await sink.WriteAsync(DeadLetters.Malformed(), CancellationToken.None);

        using var reader = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Assert.Single(new StreamReader(reader).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ReopeningTheFileAppendsToEarlierLetters()
    {
        using (var first = new FileDeadLetterSink(FilePath)) await first.WriteAsync(DeadLetters.Malformed(offset: 1), CancellationToken.None);
        using (var second = new FileDeadLetterSink(FilePath)) await second.WriteAsync(DeadLetters.Malformed(offset: 2), CancellationToken.None);

        Assert.Equal([1L, 2L], Lines().Select(line => line.GetProperty("sourceOffset").GetInt64()));
    }

    [Fact]
    public async Task ConcurrentWritesGiveWholeLines()
    {
        using (var sink = new FileDeadLetterSink(FilePath))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
            {
                for (int i = 0; i < 50; i++) await sink.WriteAsync(DeadLetters.Malformed(offset: writer * 1_000 + i), CancellationToken.None);
            })));
        }

        Assert.Equal(400, Lines().Select(line => line.GetProperty("sourceOffset").GetInt64()).Distinct().Count());
    }

    [Fact]
    public async Task WrittenLettersAreCountedByKind()
    {
        using var sink = new FileDeadLetterSink(FilePath);
        await sink.WriteAsync(DeadLetters.Malformed(), CancellationToken.None);
        await sink.WriteAsync(DeadLetters.FromPoisonedBatch(), CancellationToken.None);
        await sink.WriteAsync(DeadLetters.FromPoisonedBatch(), CancellationToken.None);

        Assert.Equal(new Dictionary<string, long> { ["non-finite-batch"] = 2, ["wrong-field-count"] = 1 }, sink.Written.ByKind);
        Assert.Equal(3, sink.Written.Total);
    }
}
