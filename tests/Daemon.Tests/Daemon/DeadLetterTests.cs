using System.Security.Cryptography;
using Confluent.Kafka;
using System.Text;
using System.Text.Json;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class DeadLetterTests(KafkaClusterFixture kafka)
{
    private const int GoodEvents = 300;

    [Fact]
    public async Task MalformedEventsAreDeadLetteredWithTheirOffsetsAndReasonsWhileTheGoodOnesTrain()
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

        var done = await daemon.WaitUntilAsync(s => s.Streaming.EventsConsumed == total, $"all {total} events are consumed");
        Assert.Equal(GoodEvents, done.Streaming.EventsTrained);
        Assert.Equal(garbage.GroupBy(g => g.Kind).ToDictionary(g => g.Key, g => 4L * g.Count()), done.Streaming.DeadLettered);
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
        Assert.Equal(total, StreamingCounters.From(last).Consumed);
        Assert.Equal(GoodEvents, StreamingCounters.From(last).Trained);
        Assert.Equal(4, StreamingCounters.From(last).DeadLettered["bad-label"]);
    }

    [Fact]
    public async Task AMessageOverTheSizeLimitIsDeadLetteredWithItsFirstBytesWhileLinesEndingInALineFeedTrain()
    {
        const int limit = 4_096, kept = 1_024;
        using var setup = new DaemonSetup(kafka, partitions: 1);
        setup.With("Streaming:MaxMessageBytes", $"{limit}").With("Streaming:DeadLetterMaxPayloadBytes", $"{kept}");
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        var huge = Enumerable.Range(0, 512 << 10).Select(i => (byte)('a' + i % 26)).ToArray(); // 512 KiB, no tab or line end
        var messages = new List<(byte[]? Key, byte[] Value)>();
        for (int i = 0; i < GoodEvents; i++) messages.Add((null, [.. topic.Line(i), .. "\n"u8])); // written as whole lines
        messages.Insert(GoodEvents / 2, (null, huge));

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        var landed = await topic.ProduceAsync(messages, partition: 0);
        var done = await daemon.WaitUntilAsync(s => s.Streaming.EventsConsumed == messages.Count, $"all {messages.Count} messages are consumed");
        Assert.Equal(GoodEvents, done.Streaming.EventsTrained);
        Assert.Equal(new Dictionary<string, long> { ["message-too-large"] = 1 }, done.Streaming.DeadLettered);
        await daemon.StopAsync();

        var letter = JsonDocument.Parse(Assert.Single(File.ReadAllLines(setup.DeadLetterFile))).RootElement;
        Assert.Equal("message-too-large", letter.GetProperty("kind").GetString());
        Assert.Equal(landed[GoodEvents / 2].Offset.Value, letter.GetProperty("sourceOffset").GetInt64());
        Assert.Equal(huge[..kept], letter.GetProperty("payload").GetBytesFromBase64());
        Assert.Equal(huge.Length, letter.GetProperty("payloadBytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(huge)), letter.GetProperty("payloadSha256").GetString());
        Assert.True(letter.GetProperty("payloadTruncated").GetBoolean());
    }

    [Fact]
    public async Task ALetterLargerThanTheDeadLetterTopicTakesIsStoredTruncatedWithItsSizeAndHashAndTrainingGoesOn()
    {
        using var setup = new DaemonSetup(kafka, partitions: 1);
        var deadLetterTopic = kafka.NewTopic(partitions: 1);
        setup.With("Kafka:DeadLetterTopic", deadLetterTopic);
        // The source topic takes it; the dead-letter producer's message.max.bytes (1,000,000) would not.
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic, messageMaxBytes: 4 << 20);
        var huge = new byte[3 << 19]; // 1.5 MiB
        Random.Shared.NextBytes(huge);
        var messages = Enumerable.Range(0, GoodEvents).Select(i => ((byte[]?)null, topic.Line(i))).ToList();
        messages.Insert(GoodEvents / 2, (null, huge));

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceAsync(messages, partition: 0);
        var done = await daemon.WaitUntilAsync(s => s.Streaming.EventsConsumed == messages.Count, $"all {messages.Count} messages are consumed");
        Assert.Equal(GoodEvents, done.Streaming.EventsTrained);
        Assert.Empty(done.DeadLetters.Quarantined);
        await daemon.StopAsync();

        var letter = Assert.Single(TopicReader.Read(kafka.Cluster.BootstrapServers, deadLetterTopic, 1)).Message;
        Assert.Equal(huge[..(64 << 10)], letter.Value);
        Assert.Equal($"{huge.Length}", Header(letter.Headers, KafkaDeadLetterSink.PayloadBytesHeader));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(huge)), Header(letter.Headers, KafkaDeadLetterSink.PayloadSha256Header));
        Assert.Equal("message-too-large", Header(letter.Headers, KafkaDeadLetterSink.ErrorKindHeader));
    }

    [Fact]
    public async Task ADeadLetterTopicThatRefusesWritesSendsTheLettersToTheQuarantineFileAndTrainingGoesOn()
    {
        using var setup = new DaemonSetup(kafka, partitions: 1);
        var deadLetterTopic = kafka.NewTopic(partitions: 1);
        kafka.Cluster.SetTopicError(deadLetterTopic, ErrorCode.TopicAuthorizationFailed); // as for a principal without an ACL on it
        setup.With("Kafka:DeadLetterTopic", deadLetterTopic);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        var messages = Enumerable.Range(0, GoodEvents).Select(i => ((byte[]?)null, topic.Line(i))).ToList();
        var badAt = new[] { 10, 100, 200 };
        foreach (int at in badAt) messages.Insert(at, (null, "not a click event"u8.ToArray()));

        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        // The start-up check found it before any letter needed the topic.
        Assert.Contains("authoriz", daemon.Current.DeadLetters.SinkProblem, StringComparison.OrdinalIgnoreCase);
        var landed = await topic.ProduceAsync(messages, partition: 0);
        var done = await daemon.WaitUntilAsync(s => s.Streaming.EventsConsumed == messages.Count, $"all {messages.Count} messages are consumed");
        Assert.Equal(GoodEvents, done.Streaming.EventsTrained);
        Assert.Equal(new Dictionary<string, long> { ["wrong-field-count"] = badAt.Length }, done.DeadLetters.Quarantined);
        Assert.Equal(0, done.DeadLetters.Lost);
        var metrics = await daemon.Http.GetStringAsync("/metrics");
        Assert.Contains($"recurring_dead_letters_quarantined_total{{reason=\"wrong-field-count\"}} {badAt.Length}", metrics);
        Assert.Contains("recurring_dead_letter_sink_ok 0", metrics);
        await daemon.StopAsync();

        var quarantined = File.ReadAllLines(Path.Combine(setup.Folder, "quarantine.jsonl")).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(badAt.Select((at, i) => landed[at].Offset.Value), quarantined.Select(l => l.GetProperty("sourceOffset").GetInt64()));
        Assert.All(quarantined, l => Assert.Equal("not a click event"u8.ToArray(), l.GetProperty("payload").GetBytesFromBase64()));
        var last = (await Checkpoints.StreamingManifestsAsync(setup))[^1];
        Assert.Equal(messages.Count, Checkpoints.Positions(last, setup.Topic)[0]);
    }

    private static string Header(Headers headers, string name) => Encoding.UTF8.GetString(headers.GetLastBytes(name));

    private static byte[] WithField(byte[] line, int field, string value)
    {
        var fields = Encoding.UTF8.GetString(line).Split('\t');
        fields[field] = value;
        return Encoding.UTF8.GetBytes(string.Join('\t', fields));
    }
}
