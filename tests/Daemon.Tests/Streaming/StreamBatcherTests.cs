using Recurring.Core.Data;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Tests.Streaming;

public sealed class StreamBatcherTests
{
    private static readonly StreamingOptions Options = new()
    {
        MaxBatchSize = 1_000, MaxBatchWaitMilliseconds = 3_600_000, MaxBatchBytes = 10_000, MaxMessageBytes = 4_000, DeadLetterMaxPayloadBytes = 100,
    };

    private static readonly FeatureSchema Shop = new("clicked", [new DenseFeature("price")],
        [new SparseFeature("user_id", 100), new SparseFeature("tags", 100, Multi: true, MaxValues: 2)]);

    private readonly StreamBatcher _batcher = new(Options, new FeatureEncoder(FeatureSchema.Criteo(), FeatureStatistics.None), new CriteoEventParser(FeatureSchema.Criteo()));
    private long _offset;

    private void Add(byte[] payload) => _batcher.Add(new ConsumedMessage("clicks", 0, _offset++, payload, null, DateTimeOffset.UnixEpoch));

    [Fact]
    public void ABatchIsDueOnceItsMessagesHoldMaxBatchBytes()
    {
        var message = new byte[3_000];
        for (int i = 0; i < 3; i++) Add(message);
        Assert.False(_batcher.IsDue); // 9,000 bytes

        Add(message);

        Assert.True(_batcher.IsDue);
        Assert.Equal(12_000, _batcher.Take().Bytes);
    }

    [Fact]
    public void AMessageOverMaxMessageBytesIsKeptOnlyAsItsFirstBytesForItsDeadLetter()
    {
        var message = Enumerable.Range(0, 5_000).Select(i => (byte)i).ToArray();

        Add(message);

        var batch = _batcher.Take();
        var tooLarge = Assert.Single(batch.Malformed);
        Assert.Equal(DeadLetterReason.MessageTooLargeKind, tooLarge.Reason.Kind);
        Assert.Equal(message[..100], tooLarge.Message.Payload);
        Assert.Equal(PayloadDigest.Of(message), tooLarge.Message.Original);
        Assert.Equal(100, batch.Bytes);
        Assert.Equal(1, batch.NextOffsets[new("clicks", 0)]);
    }

    [Fact]
    public void JsonMessagesTrainAndABadOneIsKeptWithItsKindAndAReasonNamingTheField()
    {
        var batcher = new StreamBatcher(Options, new FeatureEncoder(Shop, FeatureStatistics.None), new JsonEventParser(Shop));
        byte[][] payloads =
        [
            """{"clicked": 1, "price": 3.5, "user_id": 7, "tags": ["a", "b", "c"]}"""u8.ToArray(),
            """{"clicked": 0, "price": true}"""u8.ToArray(),
            """{"clicked": 0, "tags": "x"}"""u8.ToArray(),
        ];
        for (int i = 0; i < payloads.Length; i++) batcher.Add(new ConsumedMessage("clicks", 0, i, payloads[i], null, DateTimeOffset.UnixEpoch));

        var batch = batcher.Take();

        Assert.Equal([0L, 2L], batch.Events.Select(e => e.Offset));
        var malformed = Assert.Single(batch.Malformed);
        Assert.Equal(("wrong-type", "dense feature 'price': true is not a number"), (malformed.Reason.Kind, malformed.Reason.Message));
        Assert.Equal(3, batch.NextOffsets[new("clicks", 0)]);
    }

    [Fact]
    public void AParserOfAnotherSchemaIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new StreamBatcher(Options, new FeatureEncoder(FeatureSchema.Criteo(), FeatureStatistics.None), new JsonEventParser(Shop)));
    }
}
