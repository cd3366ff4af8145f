using System.Diagnostics;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Bench;

/// <summary>
/// One row of `bench parse`: a format and a schema, and how to prepare a number of events in that format so that a
/// pass parses all of them once.
/// </summary>
/// <param name="Prepare">Given the number of events, builds them (untimed) and returns the timed pass.</param>
public sealed record ParseCase(string Format, string Schema, Func<int, PreparedEvents> Prepare);

/// <param name="Bytes">Size of all the events as parsed.</param>
/// <param name="Pass">Parses every event once into a <see cref="ClickEvent"/> and returns how many it parsed; fewer
/// than prepared fails the benchmark, so a broken case cannot report the speed of its error path.</param>
public sealed record PreparedEvents(long Bytes, Func<long> Pass);

/// <param name="EventsPerSecond">On one thread, so per core: events parsed per second, the median of the rounds.</param>
/// <param name="BytesPerEvent">Average size of one event as parsed.</param>
public sealed record ParseMeasurement(string Format, string Schema, double EventsPerSecond, double BytesPerEvent);

/// <summary>
/// Parsing speed per core of every event format, side by side in one run: each round times one pass of every case in
/// turn, so all cases see the machine's same moments, and each case reports its median round. One thread: the figure
/// is per core. Cases: Criteo TSV, JSON and Parquet under the Criteo preset (the synthetic generator's events), and
/// JSON and Parquet under a schema with two multi-valued features (<see cref="MultiValuedSchema"/>). A Parquet case
/// reads one in-memory file (row groups of <see cref="ParquetEventWriter.DefaultRowGroupRows"/>) from its footer on, as
/// the offline phase does; its bytes per event are the compressed file's.
/// </summary>
public sealed class ParseBenchmark(IReadOnlyList<ParseCase> cases)
{
    /// <summary>A shop-like schema: 3 dense, 3 single-valued sparse (integer and string ids) and 2 multi-valued features.</summary>
    public static readonly FeatureSchema MultiValuedSchema = new("clicked",
        [new DenseFeature("price", DenseTransform.Log1p), new DenseFeature("hour"), new DenseFeature("score")],
        [
            new SparseFeature("user_id", 1_000_000), new SparseFeature("item_id", 1_000_000), new SparseFeature("country", 1_000),
            new SparseFeature("tags", 100_000, Multi: true, MaxValues: 16, Pooling.Mean), new SparseFeature("recent_items", 1_000_000, Multi: true, MaxValues: 8),
        ]);

    /// <summary>The cases of this build; a new format adds its rows here.</summary>
    public static IReadOnlyList<ParseCase> Cases(SyntheticDataOptions synthetic)
    {
        var criteo = FeatureSchema.Criteo();
        return
        [
            new ParseCase("criteo-tsv", "criteo", events => Pass(CriteoMessages(synthetic, KafkaEventFormat.CriteoTsv, events), new CriteoEventParser(criteo))),
            new ParseCase("json", "criteo", events => Pass(CriteoMessages(synthetic, KafkaEventFormat.Json, events), new JsonEventParser(criteo))),
            new ParseCase("parquet", "criteo", events => ParquetPass(criteo, write => ForEachCriteoEvent(synthetic, events, write))),
            new ParseCase("json", "2 multi-valued", events => Pass(MultiValuedMessages(synthetic.Seed, events), new JsonEventParser(MultiValuedSchema))),
            new ParseCase("parquet", "2 multi-valued", events => ParquetPass(MultiValuedSchema, write => ForEachMultiValuedEvent(synthetic.Seed, events, write))),
        ];
    }

    /// <param name="rounds">Timed passes per case, after one untimed warm-up pass each.</param>
    public IReadOnlyList<ParseMeasurement> Run(int events, int rounds, CancellationToken cancellationToken)
    {
        var prepared = cases.Select(c => c.Prepare(events)).ToArray();
        var seconds = cases.Select(_ => new List<double>()).ToArray();
        for (int round = -1; round < rounds; round++)
        {
            for (int i = 0; i < prepared.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                long parsed = prepared[i].Pass();
                double elapsed = clock.Elapsed.TotalSeconds;
                if (parsed != events)
                    throw new InvalidOperationException($"bench parse: {cases[i].Format} ({cases[i].Schema}) parsed {parsed:N0} of {events:N0} events.");
                if (round >= 0) seconds[i].Add(elapsed);
            }
        }
        return cases.Select((c, i) => new ParseMeasurement(c.Format, c.Schema, events / Median(seconds[i]), (double)prepared[i].Bytes / events)).ToArray();
    }

    /// <summary>Messages parsed one by one into one reused event, as the stream reader does.</summary>
    private static PreparedEvents Pass(byte[][] messages, IEventParser parser)
    {
        var into = new ClickEvent(parser.Schema);
        return new PreparedEvents(messages.Sum(m => (long)m.Length), () =>
        {
            long parsed = 0;
            foreach (var message in messages)
                if (parser.TryParse(message, into, out _, out _)) parsed++;
            return parsed;
        });
    }

    /// <summary>The events written as one Parquet file in memory, read whole by each pass.</summary>
    private static PreparedEvents ParquetPass(FeatureSchema schema, Action<Action<ClickEvent>> forEachEvent)
    {
        var file = new MemoryStream();
        using (var writer = new ParquetEventWriter(file, schema, leaveOpen: true)) forEachEvent(writer.Write);
        var bytes = file.ToArray();
        var into = new ClickEvent(schema);
        return new PreparedEvents(bytes.Length, () =>
        {
            using var source = new ParquetEventSource(schema, new MemoryStream(bytes), "bench.parquet");
            long parsed = 0;
            while (source.TryRead(into, out _)) parsed++;
            return parsed;
        });
    }

    private static byte[][] CriteoMessages(SyntheticDataOptions synthetic, KafkaEventFormat format, int events)
    {
        using var encoder = new ClickEventEncoder(format, FeatureSchema.Criteo());
        var messages = new List<byte[]>(events);
        ForEachCriteoEvent(synthetic, events, e => messages.Add(encoder.Encode(e)));
        return messages.ToArray();
    }

    private static void ForEachCriteoEvent(SyntheticDataOptions synthetic, int events, Action<ClickEvent> use)
    {
        var source = new SyntheticEventSource(new SyntheticClickGenerator(synthetic), 0, events);
        var e = new ClickEvent(FeatureSchema.Criteo());
        while (source.TryRead(e, out _)) use(e);
    }

    /// <summary>
    /// Seeded events of <see cref="MultiValuedSchema"/>, shaped like a shop's: a price and a score as fractions, an hour,
    /// integer ids, a country code, 0 to 16 tags and 0 to 8 recent items; a few values missing.
    /// </summary>
    private static byte[][] MultiValuedMessages(ulong seed, int events)
    {
        using var encoder = new ClickEventEncoder(KafkaEventFormat.Json, MultiValuedSchema);
        var messages = new List<byte[]>(events);
        ForEachMultiValuedEvent(seed, events, e => messages.Add(encoder.Encode(e)));
        return messages.ToArray();
    }

    private static void ForEachMultiValuedEvent(ulong seed, int events, Action<ClickEvent> use)
    {
        var random = new Random(unchecked((int)seed));
        string[] countries = ["de", "fr", "us", "jp", "br", "in", "gb", "es"];
        var e = new ClickEvent(MultiValuedSchema);
        for (int i = 0; i < events; i++)
        {
            e.Clear();
            e.Label = random.Next(4) == 0;
            e.Dense[0] = Math.Round(random.NextDouble() * 200, 2);
            e.Dense[1] = random.Next(24);
            e.Dense[2] = random.Next(10) == 0 ? null : random.NextDouble() * 2 - 1;
            e.AddInteger(0, random.NextInt64(1, 50_000_000));
            e.AddInteger(1, random.NextInt64(1, 5_000_000));
            e.AddString(2, countries[random.Next(countries.Length)]);
            for (int t = random.Next(17); t > 0; t--) e.AddString(3, $"tag-{random.Next(5_000)}");
            for (int r = random.Next(9); r > 0; r--) e.AddInteger(4, random.NextInt64(1, 5_000_000));
            use(e);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
