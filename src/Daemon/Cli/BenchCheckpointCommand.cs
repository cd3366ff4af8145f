using System.CommandLine;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Daemon.Configuration;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>
/// <c>bench checkpoint</c>: checkpoint write speed against a raw sequential write of the same bytes; with
/// <c>--remote URI</c>, against the upload of each checkpoint to that store instead.
/// </summary>
public static class BenchCheckpointCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Folder on the disk to measure (default: the current folder).", DefaultValueFactory = _ => "." };
        var rows = new Option<int>("--rows-per-table") { Description = "Embedding rows in each of the 26 tables (420,000 x dim 16 is about 700 MB).", DefaultValueFactory = _ => 420_000 }.InRange(2, 100_000_000);
        var repeat = new Option<int>("--repeat") { Description = "Checkpoint and raw write pairs; medians are reported. Needs twice the checkpoint size free per pair.", DefaultValueFactory = _ => 3 }.InRange(1, 1_000);
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N: where the model lives while it is written.", DefaultValueFactory = _ => "cpu" };
        var remote = new Option<string?>("--remote")
        {
            Description = "Measure the copy to this object store (s3://..., s3+http(s)://..., https://...blob...) next to each local write; credentials as for `checkpoints --remote`.",
        };
        var json = CommonOptions.Json();
        var command = new Command("checkpoint", "Measure checkpoint write speed against a raw sequential write of the same bytes to the same disk, or against the upload to an object store.")
        {
            dir, rows, repeat, device, remote, json,
        };
        // Configuration overrides (--Checkpoints:Remote:AccountKey=...) come through as unmatched tokens.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var training = new TrainingOptions { Device = result.GetRequiredValue(device) };
            var problems = new TrainingOptionsValidator().Problems(training).ToList();
            var remoteOptions = CheckpointsCommand.Configured(result).Remote;
            if (result.GetValue(remote) is { } uri)
            {
                try
                {
                    RemoteLocation.Parse(kind: null, uri, remoteOptions.Endpoint);
                }
                catch (FormatException e)
                {
                    problems.Add($"--remote {e.Message}");
                }
            }
            if (problems.Count > 0)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"error: {string.Join(" ", problems)}");
                return CommandSettings.InvalidConfiguration;
            }
            var config = CheckpointWriteBenchmark.DefaultModel() with
            {
                Features = FeatureSchema.Criteo(result.GetValue(rows)),
            };
            var modelDevice = DeviceSelection.Resolve(training, new TorchOptions()).Device;
            if (result.GetValue(remote) is { } remoteUri)
                return await BenchUploadAsync(result, config, modelDevice, result.GetRequiredValue(dir), result.GetValue(repeat), remoteOptions, remoteUri, json, cancellationToken);
            var figures = await CheckpointWriteBenchmark.RunAsync(config, modelDevice, result.GetRequiredValue(dir), result.GetValue(repeat), cancellationToken);

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

    private static async Task<int> BenchUploadAsync(ParseResult result, DlrmConfig config, TorchSharp.torch.Device device, string directory, int repeat,
        RemoteCheckpointOptions remote, string uri, Option<bool> json, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        CheckpointUploadBenchmarkResult figures;
        try
        {
            figures = await CheckpointUploadBenchmark.RunAsync(config, device, directory, repeat, remote, uri, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or CheckpointException)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 1;
        }
        var table = new Table().AddColumns("", "value");
        table.AddRow("store", Markup.Escape(figures.Location));
        table.AddRow("checkpoint (model + optimizer)", $"{figures.CheckpointBytes / 1e6:N1} MB");
        table.AddRow("local checkpoint write", $"{figures.LocalWriteBytesPerSecond / 1e6:N0} MB/s");
        table.AddRow("upload", $"{figures.UploadBytesPerSecond / 1e6:N0} MB/s");
        table.AddRow("remote copy (verify local, upload, read back)", $"{figures.RemoteCopyBytesPerSecond / 1e6:N0} MB/s");
        Terminal.For(output).Write(table);
        if (result.GetValue(json))
        {
            JsonReport.Write(output, new
            {
                figures.CheckpointBytes,
                figures.LocalWriteBytesPerSecond,
                figures.UploadBytesPerSecond,
                figures.RemoteCopyBytesPerSecond,
                figures.Repetitions,
            });
        }
        return 0;
    }
}
