using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>
/// One letter the dead-letter sink refuses never stops training: it goes to the quarantine file, is counted, and the
/// sink is tried again after a while.
/// </summary>
public sealed class QuarantiningDeadLetterSinkTests(KafkaClusterFixture fixture) : IClassFixture<KafkaClusterFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recurring-quarantine-").FullName;
    private readonly StatusCell<DeadLetterState> _state = new(new DeadLetterState());
    private readonly FakeTimeProvider _time = new();

    private string QuarantinePath => Path.Combine(_folder, "quarantine.jsonl");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ALetterTheDeadLetterTopicRefusesGoesToTheQuarantineFileAndIsCounted()
    {
        var topic = fixture.NewTopic(partitions: 1);
        fixture.Cluster.SetTopicError(topic, ErrorCode.TopicAuthorizationFailed);
        var options = fixture.Options();
        var kafka = new KafkaDeadLetterSink(options.ToProducerConfig(), topic, KafkaResilience.CreateRetryPipeline(options.Retry, NullLogger.Instance, "dead letter"),
            NullLogger.Instance);
        using var sink = Quarantining(kafka);

        await sink.WriteAsync(DeadLetters.Malformed(offset: 7), CancellationToken.None);

        Assert.Equal([7L], QuarantinedOffsets());
        Assert.Equal(new Dictionary<string, long> { ["wrong-field-count"] = 1 }, _state.Current.Quarantined);
        Assert.Contains("authorization", _state.Current.SinkProblem, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, kafka.Written.Total);
    }

    [Fact]
    public async Task ALetterTheDeadLetterFileCannotTakeGoesToTheQuarantineFile()
    {
        var blocker = Path.Combine(_folder, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "");
        using var sink = Quarantining(new FileDeadLetterSink(Path.Combine(blocker, "dead-letters.jsonl")));

        await sink.WriteAsync(DeadLetters.Malformed(offset: 1), CancellationToken.None);
        await sink.WriteAsync(DeadLetters.FromPoisonedBatch(offset: 2), CancellationToken.None);

        Assert.Equal([1L, 2L], QuarantinedOffsets());
        Assert.Equal(2, _state.Current.Quarantined.Values.Sum());
        Assert.NotNull(_state.Current.SinkProblem);
    }

    [Fact]
    public async Task TheSinkIsTriedAgainOnceTheRetryIntervalHasPassed()
    {
        var blocker = Path.Combine(_folder, "later-a-folder");
        await File.WriteAllTextAsync(blocker, "");
        var file = new FileDeadLetterSink(Path.Combine(blocker, "dead-letters.jsonl"));
        using var sink = Quarantining(file);
        await sink.WriteAsync(DeadLetters.Malformed(offset: 1), CancellationToken.None);
        File.Delete(blocker); // the sink would work again...

        await sink.WriteAsync(DeadLetters.Malformed(offset: 2), CancellationToken.None); // ...but is not tried yet
        _time.Advance(QuarantiningDeadLetterSink.RetryInterval);
        await sink.WriteAsync(DeadLetters.Malformed(offset: 3), CancellationToken.None);

        Assert.Equal([1L, 2L], QuarantinedOffsets());
        Assert.Equal(1, file.Written.Total);
        Assert.Null(_state.Current.SinkProblem);
    }

    [Fact]
    public async Task ALetterNeitherFileCanTakeIsCountedAsLostAndDoesNotStopTheWriter()
    {
        var blocker = Path.Combine(_folder, "blocker");
        await File.WriteAllTextAsync(blocker, "");
        using var sink = new QuarantiningDeadLetterSink(new FileDeadLetterSink(Path.Combine(blocker, "dead-letters.jsonl")),
            new FileDeadLetterSink(Path.Combine(blocker, "quarantine.jsonl")), _state, _time, NullLogger<QuarantiningDeadLetterSink>.Instance);

        await sink.WriteAsync(DeadLetters.Malformed(), CancellationToken.None);

        Assert.Equal(1, _state.Current.Lost);
        Assert.Empty(_state.Current.Quarantined);
    }

    [Fact]
    public async Task TheStartUpCheckFindsATopicThatCannotBeDescribedBeforeAnyLetterIsWritten()
    {
        var topic = fixture.NewTopic(partitions: 1);
        fixture.Cluster.SetTopicError(topic, ErrorCode.TopicAuthorizationFailed);
        var options = fixture.Options();
        using var sink = Quarantining(new KafkaDeadLetterSink(options.ToProducerConfig(), topic,
            KafkaResilience.CreateRetryPipeline(options.Retry, NullLogger.Instance, "dead letter"), NullLogger.Instance));

        var problem = await sink.CheckAsync(CancellationToken.None);

        Assert.Contains("TopicAuthorizationFailed", problem);
        Assert.Equal(problem, _state.Current.SinkProblem);
    }

    private QuarantiningDeadLetterSink Quarantining(IDeadLetterSink sink) =>
        new(sink, new FileDeadLetterSink(QuarantinePath), _state, _time, NullLogger<QuarantiningDeadLetterSink>.Instance);

    private List<long> QuarantinedOffsets() =>
        File.ReadAllLines(QuarantinePath).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("sourceOffset").GetInt64()).ToList();
}
