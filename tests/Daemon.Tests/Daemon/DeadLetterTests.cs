using System.Text;
using System.Text.Json;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class DeadLetterTests(KafkaClusterFixture kafka)
{
    private const int GoodEvents = 300;

    [Fact]
    public async Task Malformed_events_are_dead_lettered_with_their_offsets_and_reasons_while_the_good_ones_train()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        var good = topic.Line(1_000_000);
        var garbage = new (string Kind, byte[] Value)[]
        {
            ("wrong-field-count", Encoding.UTF8.GetBytes("this is not a click event")),
            ("wrong-field-count", []),
            ("wrong-field-count", [0xff, 0xfe, 0x00, 0x80]),
            ("bad-label", WithField(good, 0, "2")),
            ("non-numeric-dense", WithField(good, 3, "abc")),
            ("non-finite-dense", WithField(good, 5, "1e999")),
            ("non-hex-categorical", WithField(good, 20, "xyz")),
        };

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        // Good events with the garbage spread among them, on every partition.
        var garbageLanded = new Dictionary<(int Partition, long Offset), (string Kind, byte[] Value)>();
        for (int round = 0; round < 4; round++)
        {
            await topic.ProduceEventsAsync(GoodEvents / 4);
            var landed = await topic.ProduceAsync(garbage.Select(g => ((byte[]?)null, g.Value)).ToList(), partition: round);
            foreach (var (where, bad) in landed.Zip(garbage)) garbageLanded[(where.Partition.Value, where.Offset.Value)] = bad;
        }
        int total = GoodEvents + garbageLanded.Count;

        var done = await daemon.WaitUntilAsync(s => s.EventsConsumed == total, $"all {total} events are consumed");
        Assert.Equal(GoodEvents, done.EventsTrained);
        Assert.Equal(garbage.GroupBy(g => g.Kind).ToDictionary(g => g.Key, g => 4L * g.Count()), done.DeadLettered);
        await daemon.StopAsync();

        var letters = File.ReadAllLines(setup.DeadLetterFile).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(garbageLanded.Keys.Order(), letters.Select(l => (l.GetProperty("sourcePartition").GetInt32(), l.GetProperty("sourceOffset").GetInt64())).Order());
        foreach (var letter in letters)
        {
            var (kind, value) = garbageLanded[(letter.GetProperty("sourcePartition").GetInt32(), letter.GetProperty("sourceOffset").GetInt64())];
            Assert.Equal(setup.Topic, letter.GetProperty("sourceTopic").GetString());
            Assert.Equal(kind, letter.GetProperty("kind").GetString());
            Assert.False(string.IsNullOrWhiteSpace(letter.GetProperty("reason").GetString()));
            Assert.Equal(value, letter.GetProperty("payload").GetBytesFromBase64());
        }

        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(topic.EndOffsets(), Checkpoints.Positions(last, setup.Topic));
        Assert.Equal(total, last.Counters.Other[StreamingTrainer.ConsumedCounter]);
        Assert.Equal(GoodEvents, last.Counters.Other[StreamingTrainer.TrainedCounter]);
        Assert.Equal(4, last.Counters.Other[StreamingTrainer.DeadLetterCounterPrefix + "bad-label"]);
    }

    private static byte[] WithField(byte[] line, int field, string value)
    {
        var fields = Encoding.UTF8.GetString(line).Split('\t');
        fields[field] = value;
        return Encoding.UTF8.GetBytes(string.Join('\t', fields));
    }
}
