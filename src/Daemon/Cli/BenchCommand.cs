using System.CommandLine;
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
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks; each prints a table, and with --json one JSON object.");
        bench.Subcommands.Add(CreateTrain());
        bench.Subcommands.Add(CreateAmgp());
        bench.Subcommands.Add(BenchCheckpointCommand.Create());
        bench.Subcommands.Add(CreateStream());
        return bench;
    }

    private static Command CreateStream()
    {
        var partitions = new Option<int>("--partitions")
        {
            Description = $"Partitions of the benchmark topic; {StreamBenchmark.EventsPerPartition:N0} events each.",
            DefaultValueFactory = _ => 8,
        };
        var json = CommonOptions.Json();
        var command = new Command("stream", "End-to-end streaming events/s (embedded broker) vs the trainer alone on pre-parsed batches.") { partitions, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            var device = settings.ResolveDevice().Device;
            var measured = await new StreamBenchmark(settings, device).RunAsync(Math.Max(1, result.GetValue(partitions)), cancellationToken);
            var table = new Table().AddColumns("measure", "events/s");
            table.AddRow("produce (embedded broker, unpaced)", $"{measured.ProduceEventsPerSecond:N0}");
            table.AddRow("end to end: consume, parse, batch, score, train", $"{measured.EndToEndEventsPerSecond:N0}");
            table.AddRow("trainer alone on pre-parsed batches", $"{measured.TrainerAloneEventsPerSecond:N0}");
            table.AddRow("ratio end to end / trainer alone", $"{measured.Ratio:F3}");
            Terminal.For(Console.Out).Write(table);
            if (result.GetValue(json))
            {
                JsonReport.Write(Console.Out, new
                {
                    device = device.type.ToString().ToLowerInvariant(),
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

    private static Command CreateAmgp()
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeds (data and model) to average over.", DefaultValueFactory = _ => 3 };
        var events = new Option<long>("--events") { Description = "Training events per run.", DefaultValueFactory = _ => 1_000_000 };
        var chart = new Option<string>("--chart") { Description = "PNG chart of hidden width and eval AUC over steps.", DefaultValueFactory = _ => "amgp.png" };
        var json = CommonOptions.Json();
        var command = new Command("amgp", "Dense vs AMGP vs prune-only on the same data: AUC, FLOPs, wall time, parameters.") { seeds, events, chart, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var baseSettings = CommandSettings.Load(result, ["--Offline:EvaluateEverySteps=25"]);
            if (baseSettings is null) return CommandSettings.InvalidConfiguration;
            var device = baseSettings.ResolveDevice().Device;
            var benchmark = new AmgpBenchmark(overrides => CommandSettings.Load(result, ["--Offline:EvaluateEverySteps=25", .. overrides])!, device);
            var seedList = Enumerable.Range(1, Math.Max(1, result.GetValue(seeds))).Select(s => (long)s).ToArray();
            foreach (var mode in AmgpBenchmark.Modes)
                GrowthPruningSchedule.Create(baseSettings.Offline.Amgp with { Mode = mode }, (result.GetValue(events) + baseSettings.Training.BatchSize - 1) / baseSettings.Training.BatchSize);
            var runs = await benchmark.RunAsync(seedList, result.GetValue(events), Console.WriteLine, cancellationToken);

            var summary = AmgpSummary.From(runs);
            Terminal.For(Console.Out).Write(summary.ToTable());
            var chartPath = Path.GetFullPath(result.GetValue(chart)!);
            AmgpChart.Save(runs, chartPath);
            Console.WriteLine($"chart: {chartPath}");
            if (result.GetValue(json))
                JsonReport.Write(Console.Out, new { device = device.type.ToString().ToLowerInvariant(), events = result.GetValue(events), seeds = seedList, chart = chartPath, modes = summary.Rows });
            return 0;
        }));
        return command;
    }

    private static Command CreateTrain()
    {
        var seconds = new Option<double>("--seconds") { Description = "Minimum timed seconds per configuration.", DefaultValueFactory = _ => 10 };
        var json = CommonOptions.Json();
        var command = new Command("train", "Train-step samples/s at batch 2048 and 16384, row-wise vs dense-Adagrad embedding updates.") { seconds, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(result => CommandSettings.Guard(() =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            var device = settings.ResolveDevice().Device;
            var benchmark = new TrainStepBenchmark(settings.Model.ToDlrmConfig(), settings.Training.Optimizer, device,
                new SyntheticClickGenerator(settings.Synthetic));
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
