using System.CommandLine;
using System.Globalization;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Tests.Support;
using Recurring.Core.Data;
using Recurring.Daemon.Cli;
using Recurring.Daemon.Offline;

namespace Recurring.Daemon.Tests.Cli;

/// <summary>Console.Error is swapped while these run: errors of a command go there.</summary>
[Collection(ConsoleCollection.Name)]
public class EvaluatePredictionsTests
{
    /// <summary>Missing values, negative and exponent dense values, 64-bit and upper-case hex, and a malformed line 3.</summary>
    private static readonly string[] Lines =
    [
        Line("1", ["5", "", "3"], ["68fd1e64", "", "ffffffffffffffff"]),
        Line("0", [], []),
        "not a criteo line",
        Line("0", ["-3", "1.5", "2e3", "0"], ["A", "b", "78dde6e5fd29f054", "DEADBEEF"]),
    ];

    /// <summary>A Criteo line with the given leading dense and categorical fields, the rest empty.</summary>
    private static string Line(string label, string[] dense, string[] categorical) =>
        string.Join('\t', [label, .. Pad(dense, 13), .. Pad(categorical, 26)]);

    private static IEnumerable<string> Pad(string[] values, int count) => values.Concat(Enumerable.Repeat("", count - values.Length));

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var error = new StringWriter();
        var consoleError = Console.Error;
        Console.SetError(error);
        try
        {
            int code = await RecurringCli.InvokeAsync(args, new InvocationConfiguration { Output = new StringWriter(), Error = error });
            return (code, error.ToString());
        }
        finally
        {
            Console.SetError(consoleError);
        }
    }

    [Fact]
    public async Task PredictionsListEveryScoredEventWithItsLineLabelAndTheModelsProbability()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 3);
        await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path }).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        string data = Path.Combine(directory.Path, "events.tsv"), predictions = Path.Combine(directory.Path, "predictions.tsv");
        await File.WriteAllLinesAsync(data, Lines);

        var (code, error) = await Run("evaluate", "--model", directory.Path, "--data", data, "--predictions", predictions);

        Assert.True(code == 0, error);
        var written = await File.ReadAllLinesAsync(predictions);
        Assert.Equal(PredictionsFile.Header, written[0]);
        var rows = written.Skip(1).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(["1", "2", "4"], rows.Select(r => r[0]));
        Assert.Equal(["1", "0", "0"], rows.Select(r => r[1]));
        Assert.Equal(Expected(run, data), rows.Select(r => float.Parse(r[2], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task PredictionsIntoAMissingFolderIsBadInput()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path }).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        var data = Path.Combine(directory.Path, "events.tsv");
        await File.WriteAllLinesAsync(data, Lines);

        var (code, error) = await Run("evaluate", "--model", directory.Path, "--data", data, "--predictions", Path.Combine(directory.Path, "no", "p.tsv"));

        Assert.Equal(2, code);
        Assert.StartsWith("error: --predictions: the folder of", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task AFileWithNoEventTheModelCanReadIsBadInputNamingTheFirstProblem()
    {
        using var directory = new TemporaryDirectory();
        using var run = new TrainingRun(steps: 1);
        await CheckpointManager.ForDirectory(new CheckpointOptions { Directory = directory.Path }).SaveAsync(run.Snapshot(), pin: false, CancellationToken.None);
        var data = Path.Combine(directory.Path, "events.jsonl");
        await File.WriteAllLinesAsync(data, ["{\"clicked\": 1, \"price\": 3}", "{\"clicked\": 0}"]); // another schema's label

        var (code, error) = await Run("evaluate", "--model", directory.Path, "--data", data);

        Assert.Equal(2, code);
        Assert.Equal($"error: {data} holds no event the model can read: all 2 records are malformed, the first (record 1): label 'label' is missing", error.Trim());
    }

    /// <summary>The trainer's own probabilities for the well-formed lines.</summary>
    private static float[] Expected(TrainingRun run, string data)
    {
        var schema = run.Model.Config.Features;
        var batch = new FeatureBatch(schema, Lines.Length);
        using var source = new EventFileSource(schema, EventFiles.FromPath(data, schema));
        batch.Refill(source, run.Model.Encoder, new ClickEvent(schema));
        return run.Trainer.Predict(batch);
    }
}
