using System.CommandLine;
using System.Diagnostics;
using Recurring.Checkpointing.Onnx;
using Spectre.Console;
using static TorchSharp.torch;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring export`: a checkpoint's model as a file that serving stacks read without Recurring.</summary>
public static class ExportCommand
{
    public const string OnnxFormat = "onnx";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = SavedModel.Description, Required = true };
        var format = new Option<string>("--format")
        {
            Description = "onnx: a standard ONNX graph (opset 17) for ONNX Runtime, Triton or any ONNX consumer; inputs and outputs in docs/serving.md.",
            DefaultValueFactory = _ => OnnxFormat,
        };
        format.AcceptOnlyFromAmong(OnnxFormat);
        var output = new Option<string>("--out") { Description = "The file to write; an existing one is replaced, its folder must exist.", Required = true };
        var externalData = new Option<bool>("--external-data")
        {
            Description = $"Write the weights to OUT{OnnxExporter.ExternalDataSuffix} beside the model file (done anyway when they exceed {OnnxExporter.InlineLimitBytes >> 30} GiB, protobuf's limit being 2 GiB).",
        };
        var json = CommonOptions.Json();
        var command = new Command("export", "Write a checkpoint's model for serving: an ONNX graph taking hashed rows and transformed dense values, giving click probabilities.")
        {
            model, format, output, externalData, json,
        };
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(
            () => RunAsync(result.GetValue(model)!, result.GetValue(output)!, result.GetValue(externalData) ? true : null, result.GetValue(json),
                result.InvocationConfiguration.Output, cancellationToken),
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string outPath, bool? externalData, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        RequireWritablePlace(outPath);
        // Exported weights are read on the host anyway: no accelerator needed, whatever Training:Device says.
        using var restored = await SavedModel.RestoreAsync(modelPath, CPU, cancellationToken);
        var manifest = restored.Manifest;
        OnnxExportResult exported;
        try
        {
            exported = OnnxExporter.Export(restored.Model, outPath,
                new OnnxExportOptions { ExternalData = externalData, Metadata = OnnxExporter.MetadataOf(manifest) }, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write '{outPath}': {e.Message}", e);
        }

        output.WriteLine($"Exported {manifest.Id} (step {manifest.Counters.Steps:N0}) to {exported.Path}: {Megabytes(exported.Bytes)}" +
            (exported.ExternalDataPath is { } data ? $", weights in {data}: {Megabytes(exported.ExternalDataBytes)}" : "") +
            $", ONNX opset {exported.Opset}");
        var table = new Table().AddColumns("", "name", "type", "shape");
        foreach (var input in exported.Inputs) table.AddRow("input", input.Name, input.ElementType, Markup.Escape(Shape(input)));
        foreach (var result in exported.Outputs) table.AddRow("output", result.Name, result.ElementType, Markup.Escape(Shape(result)));
        Terminal.For(output).Write(table);
        if (json)
        {
            JsonReport.Write(output, new
            {
                checkpoint = manifest.Id,
                steps = manifest.Counters.Steps,
                format = OnnxFormat,
                path = exported.Path,
                bytes = exported.Bytes,
                externalDataPath = exported.ExternalDataPath,
                externalDataBytes = exported.ExternalDataBytes,
                opset = exported.Opset,
                irVersion = exported.IrVersion,
                inputs = exported.Inputs.Select(Describe),
                outputs = exported.Outputs.Select(Describe),
                seconds = started.Elapsed.TotalSeconds,
            });
        }
        return 0;
    }

    /// <summary>Fails before the model is read when the file cannot go where --out says.</summary>
    private static void RequireWritablePlace(string outPath)
    {
        var full = Path.GetFullPath(outPath);
        if (Directory.Exists(full)) throw new IOException($"--out '{outPath}' is a folder: name the file to write.");
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"--out '{outPath}': the folder '{folder}' does not exist.");
    }

    /// <summary>Sizes as numbers, sizes chosen per call as their names.</summary>
    private static object Describe(OnnxValue value) => new
    {
        name = value.Name,
        type = value.ElementType,
        shape = value.Shape.Select(d => long.TryParse(d, out long size) ? (object)size : d),
    };

    private static string Shape(OnnxValue value) => $"[{string.Join(", ", value.Shape)}]";

    private static string Megabytes(long bytes) => $"{bytes / 1e6:N1} MB";
}
