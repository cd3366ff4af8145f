using System.CommandLine;
using Recurring.Checkpointing;
using Recurring.Core.Model;
using Recurring.Daemon.Configuration;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary><c>bench checkpoint</c>: checkpoint write speed against a raw sequential write of the same bytes.</summary>
public static class BenchCheckpointCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Folder on the disk to measure (default: the current folder).", DefaultValueFactory = _ => "." };
        var rows = new Option<int>("--rows-per-table") { Description = "Embedding rows in each of the 26 tables (420,000 x dim 16 is about 700 MB).", DefaultValueFactory = _ => 420_000 };
        var repeat = new Option<int>("--repeat") { Description = "Checkpoint and raw write pairs; medians are reported. Needs twice the checkpoint size free per pair.", DefaultValueFactory = _ => 3 };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N: where the model lives while it is written.", DefaultValueFactory = _ => "cpu" };
        var json = CommonOptions.Json();
        var command = new Command("checkpoint", "Measure checkpoint write speed against a raw sequential write of the same bytes to the same disk.")
        {
            dir, rows, repeat, device, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var training = new TrainingOptions { Device = result.GetRequiredValue(device) };
            var problems = training.Validate().ToList();
            if (result.GetValue(repeat) < 1) problems.Add("--repeat must be at least 1.");
            if (result.GetValue(rows) < 2) problems.Add("--rows-per-table must be at least 2.");
            if (problems.Count > 0)
            {
                foreach (var problem in problems) await result.InvocationConfiguration.Error.WriteLineAsync(problem);
                return 1;
            }
            var config = CheckpointWriteBenchmark.DefaultModel() with
            {
                RowsPerTable = Enumerable.Repeat(result.GetValue(rows), DlrmConfig.CategoricalFeatures).ToArray(),
            };
            var figures = await CheckpointWriteBenchmark.RunAsync(config, DeviceSelection.Resolve(training, new TorchOptions()).Device, result.GetRequiredValue(dir), result.GetValue(repeat), cancellationToken);

            var table = new Table().AddColumns("", "value");
            table.AddRow("model", $"{figures.ModelBytes / 1e6:N1} MB");
            table.AddRow("checkpoint (model + optimizer)", $"{figures.CheckpointBytes / 1e6:N1} MB");
            table.AddRow("checkpoint write", $"{figures.CheckpointBytesPerSecond / 1e6:N0} MB/s");
            table.AddRow("raw sequential write, same bytes", $"{figures.RawBytesPerSecond / 1e6:N0} MB/s");
            table.AddRow("ratio (median of pairs)", $"{figures.Ratio:P0}");
            Terminal.For(output).Write(table);
            if (result.GetValue(json))
            {
                JsonReport.Write(output, new
                {
                    figures.ModelBytes,
                    figures.CheckpointBytes,
                    figures.CheckpointBytesPerSecond,
                    figures.RawBytesPerSecond,
                    figures.Ratio,
                    figures.Repetitions,
                });
            }
            return 0;
        });
        return command;
    }
}
