using System.CommandLine;
using Recurring.Checkpointing;
using Recurring.Core.Growth;
using Recurring.Core.Training;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring train-offline`: the offline phase on its own, synthetic data by default.</summary>
public static class TrainOfflineCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = $"Event file or folder of files, by extension {EventFiles.Choices} (default: synthetic data from the hidden teacher)." };
        var events = new Option<long?>("--events") { Description = "Synthetic training events (default Offline:SyntheticEvents)." }.InRange(1, long.MaxValue);
        var eval = new Option<string?>("--eval") { Description = "Event file or folder to evaluate on; then all of --data trains (default: hold out the last Offline:EvalFraction of --data)." };
        var mode = new Option<string?>("--mode") { Description = "amgp, dense or prune-only (default Offline:Amgp:Mode)." };
        var output = new Option<string?>("--out")
        {
            Description = "Checkpoint folder: periodic checkpoints every Checkpoints:EveryEvents events and the pinned final full-size model.",
        };
        var json = CommonOptions.Json();
        var command = new Command("train-offline", "Train the model offline (AMGP by default) and report eval AUC, NE and the Bayes reference.")
        {
            data, eval, events, mode, output, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = new List<string>();
            if (result.GetValue(data) is { } d) overrides.Add($"--Offline:Data={d}");
            if (result.GetValue(eval) is { } v) overrides.Add($"--Offline:EvalData={v}");
            if (result.GetValue(events) is { } e) overrides.Add($"--Offline:SyntheticEvents={e}");
            if (result.GetValue(mode) is { } m) overrides.Add($"--Offline:Amgp:Mode={m}");
            var settings = CommandSettings.Load(result, overrides);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            return await CommandSettings.GuardAsync(() => RunAsync(settings, result.GetValue(output), result.GetValue(json), cancellationToken));
        });
        return command;
    }

    private static async Task<int> RunAsync(RecurringSettings settings, string? outputFolder, bool json, CancellationToken cancellationToken)
    {
        var torchDevice = settings.ResolveDevice();
        var device = torchDevice.Device;
        using var setup = OfflineSetup.Create(settings, device, onMalformed: (file, error) =>
            Console.Error.WriteLine($"skipped {Path.GetFileName(file)}:{error.Record}: {error.Reason}"));
        Console.WriteLine($"Recurring offline training on {torchDevice.Describe()}: {setup.DataDescription}");
        Console.WriteLine($"  model: {setup.Model.ParameterCount:N0} parameters, schedule {setup.Schedule.Options.Mode.Name()} " +
                          $"({setup.Schedule.Phases.Count} phases, {setup.Schedule.PrunedSteps} of {setup.Schedule.TotalSteps} steps pruned)");
        if (setup.Schedule.Notice is { } notice) Console.WriteLine($"  {notice}");
        if (settings.Offline.DescribeRateBoost(setup.Schedule.TotalSteps) is { } boost) Console.WriteLine($"  {boost}");

        var checkpoints = outputFolder is null
            ? null
            : CheckpointWriter.ForDirectory(outputFolder, settings.Checkpoints);
        var phase = new OfflinePhase(setup, checkpoints, settings.Checkpoints.EveryEvents);
        phase.CheckpointWritten += (info, kind) => Console.WriteLine($"checkpoint {info.Id} ({kind}, {info.Bytes / 1e6:F1} MB at {info.BytesPerSecond / 1e6:F0} MB/s)");
        var trainer = setup.CreateTrainer();
        var (result, final) = await new TrainingProgressDisplay(Console.Out).RunAsync(trainer, setup.Growth, setup.Options.MaxEvents,
            () => phase.RunAsync(trainer, cancellationToken));

        PrintSummary(result, setup.MalformedRecords);
        if (final is not null) Console.WriteLine($"final full-size model: {Path.Combine(Path.GetFullPath(outputFolder!), final.Id)} (pinned)");
        if (json) JsonReport.Write(Console.Out, Report(result, setup, device.type.ToString().ToLowerInvariant(), final));
        return cancellationToken.IsCancellationRequested ? 130 : 0;
    }

    private static void PrintSummary(OfflineResult result, long malformed)
    {
        var eval = result.FinalEvaluation;
        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("eval AUC", $"{eval.Model.Auc:F4}");
        table.AddRow("eval logloss", $"{eval.Model.LogLoss:F4}");
        table.AddRow("eval NE", $"{eval.Model.NormalizedEntropy:F4}");
        if (eval.Bayes is { } bayes)
        {
            table.AddRow("Bayes AUC (same eval set)", $"{bayes.Auc:F4}");
            table.AddRow("Bayes logloss", $"{bayes.LogLoss:F4}");
            table.AddRow("AUC gap to Bayes", $"{bayes.Auc - eval.Model.Auc:F4}");
        }
        table.AddRow("samples trained", $"{result.Samples:N0}");
        table.AddRow("training samples/s", $"{result.SamplesPerSecond:N0}");
        table.AddRow("MLP FLOPs vs dense", $"{result.Flops.MlpRatioToDense:P1}");
        table.AddRow("skipped non-finite steps", $"{result.SkippedSteps}");
        if (malformed > 0) table.AddRow("malformed records skipped", $"{malformed:N0}");
        Terminal.For(Console.Out).Write(table);
    }

    internal static object Report(OfflineResult result, OfflineSetup setup, string device, CheckpointInfo? final) => new
    {
        checkpoint = final?.Id,
        device,
        data = setup.DataDescription,
        mode = setup.Schedule.Options.Mode.Name(),
        steps = result.Steps,
        samples = result.Samples,
        samplesPerSecond = result.SamplesPerSecond,
        trainingSeconds = result.TrainingTime.TotalSeconds,
        evalEvents = setup.Evaluation.Count,
        evalAuc = result.FinalEvaluation.Model.Auc,
        evalLogLoss = result.FinalEvaluation.Model.LogLoss,
        evalNe = result.FinalEvaluation.Model.NormalizedEntropy,
        bayesAuc = result.FinalEvaluation.Bayes?.Auc,
        bayesLogLoss = result.FinalEvaluation.Bayes?.LogLoss,
        mlpFlops = result.Flops.MlpFlops,
        mlpFlopsRatioToDense = result.Flops.MlpRatioToDense,
        totalFlopsRatioToDense = result.Flops.TotalRatioToDense,
        skippedSteps = result.SkippedSteps,
        malformedLines = setup.MalformedRecords,
        parameters = result.ParameterCount,
        learningCurve = result.LearningCurve.Select(p => new { p.Step, p.Samples, auc = p.Result.Model.Auc, logLoss = p.Result.Model.LogLoss, hiddenNeurons = p.HiddenNeurons }),
    };
}
