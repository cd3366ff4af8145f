using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Daemon.Cli;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Cli;

public sealed class ExportCommandTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Checkpoints => Path.Combine(_directory.Path, "checkpoints");
    private string OnnxFile => Path.Combine(_directory.Path, "model.onnx");

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await RecurringCli.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task ExportWritesAnOnnxModelThatScoresLikeTheCheckpoint()
    {
        await CheckpointsCommandTests.Saved(Checkpoints, 1);

        var (code, _, error) = await Run("export", "--model", Checkpoints, "--format", "onnx", "--out", OnnxFile);

        Assert.True(code == 0, error);
        using var restored = (await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = Checkpoints })
            .RestoreLatestAsync(CPU, accept: null, CancellationToken.None))!;
        using var session = new InferenceSession(OnnxFile);
        var batch = TrainingRun.Batch(step: 9, count: 32);
        var expected = restored.Trainer.Predict(batch);
        var actual = OnnxInputs.Of(batch).Score(session);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"{p.First} vs {p.Second}"));
        Assert.Equal(restored.Manifest.Id, session.ModelMetadata.CustomMetadataMap["recurring.checkpoint"]);
    }

    [Fact]
    public async Task ExportWithJsonReportsTheFileItsOpsetAndItsInputs()
    {
        var ids = await CheckpointsCommandTests.Saved(Checkpoints, 1);

        var (code, output, _) = await Run("export", "--model", Path.Combine(Checkpoints, ids[0]), "--out", OnnxFile, "--json");

        Assert.Equal(0, code);
        var report = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(ids[0], report.GetProperty("checkpoint").GetString());
        Assert.Equal(new FileInfo(OnnxFile).Length, report.GetProperty("bytes").GetInt64());
        Assert.Equal(17, report.GetProperty("opset").GetInt32());
        var inputs = report.GetProperty("inputs").EnumerateArray().ToArray();
        Assert.Equal(["dense", "rows"], inputs.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal("[\"batch\",13]", inputs[0].GetProperty("shape").GetRawText());
        Assert.Equal("int64", inputs[1].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("externalDataPath").ValueKind);
    }

    [Fact]
    public async Task ExternalDataPutsTheWeightsBesideTheModel()
    {
        await CheckpointsCommandTests.Saved(Checkpoints, 1);

        var (code, output, _) = await Run("export", "--model", Checkpoints, "--out", OnnxFile, "--external-data", "--json");

        Assert.Equal(0, code);
        var report = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(OnnxFile + ".data", report.GetProperty("externalDataPath").GetString());
        Assert.Equal(new FileInfo(OnnxFile + ".data").Length, report.GetProperty("externalDataBytes").GetInt64());
        using var session = new InferenceSession(OnnxFile);
        Assert.Single(OnnxInputs.Of(TrainingRun.Batch(step: 1, count: 1)).Score(session));
    }

    public static TheoryData<string, string[]> BadInputs => new()
    {
        { "a missing checkpoint directory", ["--model", "{dir}/nowhere", "--out", "{dir}/model.onnx"] },
        { "a damaged checkpoint", ["--model", "{damaged}", "--out", "{dir}/model.onnx"] },
        { "a directory without checkpoints", ["--model", "{dir}", "--out", "{dir}/model.onnx"] },
        { "an unknown format", ["--model", "{checkpoints}", "--format", "torchscript", "--out", "{dir}/model.onnx"] },
        { "an output folder that does not exist", ["--model", "{checkpoints}", "--out", "{dir}/missing/model.onnx"] },
        { "an output path that is a folder", ["--model", "{checkpoints}", "--out", "{dir}"] },
        { "an output under a file", ["--model", "{checkpoints}", "--out", "{dir}/checkpoints/{id}/manifest.json/model.onnx"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputIsOneLineAndExitCode2(string what, string[] arguments)
    {
        var ids = await CheckpointsCommandTests.Saved(Checkpoints, 2);
        var damaged = Path.Combine(Checkpoints, ids[1]);
        await using (var model = File.OpenWrite(Path.Combine(damaged, CheckpointFiles.Model))) model.Write(new byte[64]);
        var before = Directory.GetFileSystemEntries(_directory.Path, "*", SearchOption.AllDirectories).Order().ToArray();

        var (code, output, error) = await Run(["export", .. arguments.Select(a => a
            .Replace("{damaged}", damaged).Replace("{checkpoints}", Checkpoints).Replace("{dir}", _directory.Path).Replace("{id}", ids[0]))]);

        Assert.True(code == 2, $"{what}: exit code {code}, {output}{error}");
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
        Assert.Equal(before, Directory.GetFileSystemEntries(_directory.Path, "*", SearchOption.AllDirectories).Order());
    }
}
