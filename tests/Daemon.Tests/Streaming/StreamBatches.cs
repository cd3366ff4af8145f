using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Reliability;

namespace Recurring.Daemon.Tests.Streaming;

/// <summary>Full batches of good events at consecutive offsets of one partition, as the Kafka reader hands them over.</summary>
internal sealed class StreamBatches(ReliabilityFixture fixture, FeatureEncoder encoder, int batchSize)
{
    public static readonly StreamPartition Partition = new("clicks", 0);

    private readonly CriteoRecord _record = new();
    private readonly ClickEvent _event = new(encoder.Schema);
    private long _offset;

    /// <summary>Offsets of the malformed messages handed out so far.</summary>
    public List<long> MalformedOffsets { get; } = [];

    /// <param name="malformed">Malformed messages after each batch's good events, as the reader keeps them beside it.</param>
    /// <param name="edit">Changes each good event before it is encoded (a poisoned feature, say).</param>
    public IEnumerable<StreamBatch> Next(int batches, int malformed = 0, Action<CriteoRecord>? edit = null)
    {
        for (int b = 0; b < batches; b++)
        {
            var batch = new StreamBatch(encoder.Schema, batchSize);
            for (int i = 0; i < batchSize; i++, _offset++)
            {
                var payload = fixture.GoodEvent(_offset, edit);
                Assert.True(CriteoLineParser.TryParse(payload, _record, out _, out _));
                _event.SetFrom(_record);
                batch.Features.Add(_event, encoder);
                batch.Events.Add(Message(payload));
            }
            for (int i = 0; i < malformed; i++, _offset++)
            {
                MalformedOffsets.Add(_offset);
                batch.Malformed.Add(new MalformedMessage(Message("not a click event"u8.ToArray()), DeadLetterReason.Malformed(EventErrorKind.WrongFieldCount, "one field")));
            }
            batch.NextOffsets[Partition] = _offset;
            yield return batch;
        }
    }

    private ConsumedMessage Message(byte[] payload) =>
        new(Partition.Topic, Partition.Partition, _offset, payload, ReliabilityFixture.Key(_offset), DateTimeOffset.UnixEpoch);
}

/// <summary>Where the trainer's commits and holds go when no Kafka reader is involved: kept, for a test to look at.</summary>
internal sealed class SourceRecorder : IPositionCommitter, IConsumptionGate
{
    public List<IReadOnlyList<StreamPosition>> Commits { get; } = [];

    /// <summary>Whether the trainer holds consumption now.</summary>
    public bool Held { get; private set; }

    public void Commit(IReadOnlyList<StreamPosition> positions) => Commits.Add(positions);

    public void Hold() => Held = true;

    public void Release() => Held = false;
}
