using System.Diagnostics;
using Recurring.Checkpointing.Onnx;
using Recurring.Checkpointing.Tests.Support;

namespace Recurring.Checkpointing.Tests.Onnx;

/// <summary>
/// The ONNX project's own checker accepts the export: structure, operator set, types, and (full_check) shape
/// inference in strict mode. Runs where /usr/bin/python3 has the onnx package (Debian python3-onnx, which CI installs).
/// </summary>
public sealed class OnnxCheckerTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    // The path form also checks that a side file's weights are where the model says; loading brings them in for full_check.
    private const string Check = "import sys, onnx; onnx.checker.check_model(sys.argv[1]); onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)";

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheOnnxCheckerAcceptsTheExportInFull(bool externalData)
    {
        Skip.IfNot(PythonHasOnnx(), $"{Python} has no onnx package (Debian: python3-onnx)");
        using var trainer = OnnxExportTests.TrainedOnRandomEvents(OnnxExportTests.MultiValued, steps: 1);
        using var model = trainer.Model;
        var path = Path.Combine(_directory.Path, "model.onnx");
        OnnxExporter.Export(model, path, new OnnxExportOptions { ExternalData = externalData }, CancellationToken.None);

        var (code, output) = RunPython(["-c", Check, path]);

        Assert.True(code == 0, output);
    }

    private static bool PythonHasOnnx() => File.Exists(Python) && RunPython(["-c", "import onnx"]).Code == 0;

    private static (int Code, string Output) RunPython(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} did not finish within 2 minutes.");
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
