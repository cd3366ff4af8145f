using System.CommandLine;
using Recurring.Core;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Growth;
using Recurring.Core.Training;
using Recurring.Daemon.Bench;
using Recurring.Daemon.Configuration;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring bench ...`: speed figures as ratios measured side by side in one run.</summary>
public static class BenchCommand
{
    /// <summary>Under out/, which git ignores, rather than in the working directory.</summary>
    private static readonly string DefaultChart = Path.Combine("out", "bench", "amgp.png");
    private static readonly string DefaultRecurringChart = Path.Combine("out", "bench", "recurring.png");

    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks; each prints a table, and with --json one JSON object.");
        bench.Subcommands.Add(CreateTrain());
        bench.Subcommands.Add(CreateAmgp());
        bench.Subcommands.Add(CreateRecurring());
        bench.Subcommands.Add(BenchCheckpointCommand.Create());
        bench.Subcommands.Add(CreateStream());
        bench.Subcommands.Add(CreateParse());
        return bench;
    }

    private static Command CreateParse()
    {
        var events = new Option<int>("--events") { Description = "Events per case and pass.", DefaultValueFactory = _ => 200_000 }.InRange(1, 10_000_000);
        var rounds = new Option<int>("--rounds") { Description = "Timed passes per case, each case in turn; the median counts.", DefaultValueFactory = _ => 5 }.InRange(1, 1_000);
        var json = CommonOptions.Json();
        var command = new Command("parse", "Events parsed per second on one core, per format and schema, side by side.") { events, rounds, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            int count = result.GetValue(events);
            var measured = await Task.Run(() => new ParseBenchmark(ParseBenchmark.Cases(settings.Synthetic)).Run(count, result.GetValue(rounds), cancellationToken), cancellationToken);
            var table = new Table().AddColumns("format", "schema", "events/s per core", "bytes/event", "MB/s");
            foreach (var m in measured)
                table.AddRow(m.Format, m.Schema, $"{m.EventsPerSecond:N0}", $"{m.BytesPerEvent:N0}", $"{m.EventsPerSecond * m.BytesPerEvent / 1e6:N0}");
            Terminal.For(Console.Out).Write(table);
            if (result.GetValue(json))
            {
                JsonReport.Write(Console.Out, new
                {
                    events = count,
                    rounds = result.GetValue(rounds),
                    cases = measured.Select(m => new { m.Format, m.Schema, eventsPerSecond = m.EventsPerSecond, bytesPerEvent = m.BytesPerEvent }),
                });
            }
            return 0;
        }));
        return command;
    }

    private static Command CreateStream()
    {
        var partitions = new Option<int>("--partitions")
        {
            Description = $"Partitions of the benchmark topic; {StreamBenchmark.EventsPerPartition(KafkaEventFormat.CriteoTsv):N0} Criteo TSV or " +
                          $"{StreamBenchmark.EventsPerPartition(KafkaEventFormat.Json):N0} JSON events each.",
            DefaultValueFactory = _ => 8,
        }.InRange(1, 1_024);
        var format = KafkaFormatOption.Create("Message format on the topic");
        var json = CommonOptions.Json();
        var command = new Command("stream", "End-to-end streaming events/s (embedded broker) vs the trainer alone on pre-parsed batches.") { partitions, format, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var settings = CommandSettings.Load(result, KafkaFormatOption.Override(result, format));
            if (settings is null) return CommandSettings.InvalidConfiguration;
            var device = settings.ResolveDevice().Device;
            var measured = await new StreamBenchmark(settings, device).RunAsync(result.GetValue(partitions), cancellationToken);
            var table = new Table().AddColumns("measure", "events/s");
            table.AddRow($"produce {KafkaFormatOption.Describe(settings.Kafka.Format)} (embedded broker, unpaced)", $"{measured.ProduceEventsPerSecond:N0}");
            table.AddRow("end to end: consume, parse, batch, score, train", $"{measured.EndToEndEventsPerSecond:N0}");
            table.AddRow("trainer alone on pre-parsed batches", $"{measured.TrainerAloneEventsPerSecond:N0}");
            table.AddRow("ratio end to end / trainer alone", $"{measured.Ratio:F3}");
            Terminal.For(Console.Out).Write(table);
            if (result.GetValue(json))
            {
                JsonReport.Write(Console.Out, new
                {
                    device = device.type.ToString().ToLowerInvariant(),
                    format = KebabCaseEnumConverter<KafkaEventFormat>.ToKebabCase(settings.Kafka.Format.ToString()),
                    measured.Events,
                    measured.Partitions,
                    measured.BatchSize,
                    produceEventsPerSecond = measured.ProduceEventsPerSecond,
                    endToEndEventsPerSecond = measured.EndToEndEventsPerSecond,
                    trainerAloneEventsPerSecond = measured.TrainerAloneEventsPerSecond,
                    ratio = measured.Ratio,
                });
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Strength of the teacher's capacity-hungry term in `bench amgp` and `bench recurring` (docs/amgp.md: how it was chosen, at batch 512).</summary>
    public const double CapacityHungryStrength = 2.5;

    /// <summary>Training events per run of `bench amgp`: 3 seeds x 4 variants fit in 30 minutes on a 2-core VM.</summary>
    public const long DefaultAmgpEvents = 600_000;

    private static Command CreateAmgp()
    {
        var seeds = SeedsOption();
        var events = OfflineEventsOption();
        var chart = ChartOption("hidden width and eval AUC over steps", DefaultChart);
        var json = CommonOptions.Json();
        var command = new Command("amgp",
            "Dense vs AMGP vs prune-only vs small dense on the same data (by default the capacity-hungry synthetic task): AUC, FLOPs, wall time, parameters.")
        {
            seeds, events, chart, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var bench = AmgpBench.Load(result, seeds, events, AmgpVariant.All);
            if (bench is null) return CommandSettings.InvalidConfiguration;
            var runs = await bench.Benchmark.RunAsync(bench.Seeds, bench.Events, Console.WriteLine, cancellationToken);

            var summary = AmgpSummary.From(runs);
            Terminal.For(Console.Out).Write(summary.ToTable());
            var chartPath = CreateChartFolder(result.GetValue(chart)!);
            AmgpChart.Save(runs, chartPath);
            Console.WriteLine($"chart: {chartPath}");
            if (result.GetValue(json))
                JsonReport.Write(Console.Out, new { device = bench.DeviceName, events = bench.Events, seeds = bench.Seeds, chart = chartPath, modes = summary.Rows });
            return 0;
        }));
        return command;
    }

    /// <summary>Stream events per seed of `bench recurring`.</summary>
    public const int DefaultRecurringStreamEvents = 300_000;

    /// <summary>
    /// The later events' drift in `bench recurring`: by the first stream event after the default 600,000-event history
    /// and 100,000 held-out events the teacher's categorical effects have turned by 0.7 rad and the top 140 ranks of
    /// every large vocabulary are new IDs; over 300,000 stream events they turn 0.3 rad more and 60 more IDs arrive.
    /// From the first stream event a new nonlinear dense effect, as strong as the rest of the teacher's terms on
    /// average, is part of the teacher: full capacity should learn it faster.
    /// </summary>
    public static readonly StreamDrift RecurringDrift = new(RotationPerMillionEvents: 1.0, NewIdsPerMillionEvents: 200, NewEffectStrength: 1.0);

    private static Command CreateRecurring()
    {
        var seeds = SeedsOption();
        var events = OfflineEventsOption();
        var streamEvents = new Option<int>("--stream-events")
        {
            Description = "Later events of the drifting teacher each start model learns from, scored before learning (held in memory).",
            DefaultValueFactory = _ => DefaultRecurringStreamEvents,
        }.InRange(1, 10_000_000);
        var chart = ChartOption("progressive AUC over stream events", DefaultRecurringChart);
        var json = CommonOptions.Json();
        var command = new Command("recurring",
            "The recurring stage: dense, AMGP and prune-only final models (as in bench amgp) go on learning from the same drifting later events, " +
            "against a frozen dense model: progressive AUC and NE.")
        {
            seeds, events, streamEvents, chart, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var bench = AmgpBench.Load(result, seeds, events, RecurringBenchmark.Learners);
            if (bench is null) return CommandSettings.InvalidConfiguration;
            int stream = result.GetValue(streamEvents);
            Console.WriteLine($"then {stream:N0} stream events per seed, drifting: Synthetic:RotationPerMillionEvents={RecurringDrift.RotationPerMillionEvents}, " +
                              $"Synthetic:NewIdsPerMillionEvents={RecurringDrift.NewIdsPerMillionEvents}, " +
                              $"Synthetic:NewEffectStrength={RecurringDrift.NewEffectStrength} from the first stream event");
            var runs = await new RecurringBenchmark(bench.Benchmark, RecurringDrift).RunAsync(bench.Seeds, bench.Events, stream, Console.WriteLine, cancellationToken);

            var summary = RecurringSummary.From(runs);
            Terminal.For(Console.Out).Write(summary.ToTable());
            var chartPath = CreateChartFolder(result.GetValue(chart)!);
            RecurringChart.Save(runs, chartPath);
            Console.WriteLine($"chart: {chartPath}");
            if (result.GetValue(json))
            {
                JsonReport.Write(Console.Out, new
                {
                    device = bench.DeviceName, events = bench.Events, streamEvents = stream, drift = RecurringDrift,
                    tailFraction = RecurringBenchmark.TailFraction, seeds = bench.Seeds, chart = chartPath, starts = summary.Rows,
                });
            }
            return 0;
        }));
        return command;
    }

    private static Option<int> SeedsOption() =>
        new Option<int>("--seeds") { Description = "Seeds (data and model) to average over.", DefaultValueFactory = _ => 3 }.InRange(1, 100);

    private static Option<long> OfflineEventsOption() =>
        new Option<long>("--events") { Description = "Offline training events per run.", DefaultValueFactory = _ => DefaultAmgpEvents }.InRange(1, 10_000_000_000);

    private static Option<string> ChartOption(string shows, string defaultPath) => new("--chart")
    {
        Description = $"PNG chart of {shows}; its folder is created (default {defaultPath}).",
        DefaultValueFactory = _ => defaultPath,
    };

    private static string CreateChartFolder(string chart)
    {
        var path = Path.GetFullPath(chart);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>What `bench amgp` and `bench recurring` share: the capacity-hungry task, the seeds, and the offline runs' schedule checked up front.</summary>
    private sealed record AmgpBench(AmgpBenchmark Benchmark, long[] Seeds, long Events, string DeviceName)
    {
        public static AmgpBench? Load(ParseResult result, Option<int> seeds, Option<long> events, IEnumerable<AmgpVariant> variants)
        {
            string[] benchDefaults = ["--Offline:EvaluateEverySteps=100", $"--Synthetic:NonlinearStrength={CapacityHungryStrength}"];
            var baseSettings = CommandSettings.Load(result, benchDefaults);
            if (baseSettings is null) return null;
            var device = baseSettings.ResolveDevice().Device;
            long eventCount = result.GetValue(events);
            Console.WriteLine($"Synthetic:NonlinearStrength={baseSettings.Synthetic.NonlinearStrength} (0 is the plain task), " +
                              $"{eventCount:N0} training events per run, {result.GetValue(seeds)} seed(s)");
            foreach (var variant in variants)
                GrowthPruningSchedule.Create(baseSettings.Offline.Amgp with { Mode = variant.Mode }, (eventCount + baseSettings.Training.BatchSize - 1) / baseSettings.Training.BatchSize);
            return new AmgpBench(
                new AmgpBenchmark(overrides => CommandSettings.Load(result, [.. benchDefaults, .. overrides])!, device),
                Enumerable.Range(1, result.GetValue(seeds)).Select(s => (long)s).ToArray(),
                eventCount,
                device.type.ToString().ToLowerInvariant());
        }
    }

    private static Command CreateTrain()
    {
        var seconds = new Option<double>("--seconds") { Description = "Minimum timed seconds per configuration.", DefaultValueFactory = _ => 10 }.InRange(0.1, 86_400);
        var json = CommonOptions.Json();
        var command = new Command("train", "Train-step samples/s at batch 2048 and 16384, row-wise vs dense-Adagrad embedding updates.") { seconds, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(result => CommandSettings.Guard(() =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            var device = settings.ResolveDevice().Device;
            var benchmark = new TrainStepBenchmark(settings.ToDlrmConfig(), settings.Training.Optimizer, device,
                new SyntheticClickGenerator(settings.Synthetic, settings.Schema));
            var minimum = TimeSpan.FromSeconds(result.GetValue(seconds));
            var rows = new List<object>();
            var table = new Table().AddColumns("batch", "embedding update", "steps", "samples/s", "row-wise / dense", "working set growth");
            foreach (int batch in new[] { 2048, 16384 })
            {
                var rowWise = benchmark.Measure(batch, EmbeddingUpdateKind.RowWiseAdagrad, minimum, minimumSteps: 5);
                var dense = benchmark.Measure(batch, EmbeddingUpdateKind.DenseAdagrad, minimum, minimumSteps: 3);
                double ratio = rowWise.SamplesPerSecond / dense.SamplesPerSecond;
                table.AddRow($"{batch}", "row-wise Adagrad", $"{rowWise.Steps}", $"{rowWise.SamplesPerSecond:N0}", $"{ratio:F1}x", $"{rowWise.WorkingSetGrowthBytes / 1e6:F1} MB");
                table.AddRow($"{batch}", "dense Adagrad", $"{dense.Steps}", $"{dense.SamplesPerSecond:N0}", "", $"{dense.WorkingSetGrowthBytes / 1e6:F1} MB");
                rows.Add(new
                {
                    batchSize = batch,
                    rowWiseSamplesPerSecond = rowWise.SamplesPerSecond,
                    denseSamplesPerSecond = dense.SamplesPerSecond,
                    rowWiseOverDense = ratio,
                    rowWiseSteps = rowWise.Steps,
                    rowWiseWorkingSetGrowthBytes = rowWise.WorkingSetGrowthBytes,
                });
            }
            Terminal.For(Console.Out).Write(table);
            if (result.GetValue(json))
                JsonReport.Write(Console.Out, new { device = device.type.ToString().ToLowerInvariant(), threads = TorchSharp.torch.get_num_threads(), results = rows });
            return 0;
        }));
        return command;
    }
}
