using System.CommandLine;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Metrics;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring evaluate`: AUC, logloss and NE of a saved model on any Criteo TSV file.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A checkpoint folder (ckpt-...) or a checkpoint directory (its newest valid checkpoint is used).",
            Required = true,
        };
        var data = new Option<string>("--data") { Description = "Criteo TSV file to score.", Required = true };
        var probabilities = new Option<string?>("--probabilities") { Description = "The teacher's probabilities written by `generate`, for the Bayes figures." };
        var json = CommonOptions.Json();
        var command = new Command("evaluate", "Score a saved model on a Criteo TSV file: AUC, logloss, NE (and the Bayes reference).") { model, data, probabilities, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            return await CommandSettings.GuardAsync(() => RunAsync(settings, result.GetValue(model)!, result.GetValue(data)!,
                result.GetValue(probabilities), result.GetValue(json), cancellationToken));
        });
        return command;
    }

    private static async Task<int> RunAsync(RecurringSettings settings, string modelPath, string dataPath, string? probabilitiesPath, bool json,
        CancellationToken cancellationToken)
    {
        var device = settings.ResolveDevice().Device;
        using var restored = await RestoreAsync(modelPath, device, cancellationToken);
        var trainer = restored.Trainer;
        var hashing = new FeatureHashing(restored.Model.Config.RowsPerTable);
        var teacher = probabilitiesPath is null ? null : GenerateCommand.ReadProbabilities(probabilitiesPath);

        var scores = new List<float>();
        var labels = new List<float>();
        var truth = new List<float>();
        long malformed = 0;
        var batch = new FeatureBatch(settings.Training.BatchSize);
        var record = new CriteoRecord();
        using (var source = new TsvEventSource(TsvInputs.FromPath(dataPath)))
        {
            source.Malformed += (_, _) => malformed++;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                while (!batch.IsFull && source.TryRead(record, out _))
                {
                    batch.Add(record, hashing);
                    labels.Add(record.Label ? 1 : 0);
                    if (teacher is not null)
                    {
                        long line = source.Position.LineNumber;
                        if (line > teacher.Length)
                            throw new InvalidDataException($"{probabilitiesPath} holds {teacher.Length} probabilities but {dataPath} has more lines.");
                        truth.Add(teacher[line - 1]);
                    }
                }
                if (batch.Count == 0) break;
                scores.AddRange(trainer.Predict(batch));
            }
        }

        var metrics = ClickMetrics.Compute(scores.ToArray(), labels.ToArray());
        var bayes = teacher is null ? null : ClickMetrics.Compute(truth.ToArray(), labels.ToArray());
        var table = new Table().AddColumns("figure", "model", "Bayes (teacher)");
        table.AddRow("events", $"{metrics.Count:N0}", "");
        table.AddRow("AUC", $"{metrics.Auc:F4}", bayes is null ? "" : $"{bayes.Auc:F4}");
        table.AddRow("logloss", $"{metrics.LogLoss:F4}", bayes is null ? "" : $"{bayes.LogLoss:F4}");
        table.AddRow("NE", $"{metrics.NormalizedEntropy:F4}", bayes is null ? "" : $"{bayes.NormalizedEntropy:F4}");
        Terminal.For(Console.Out).Write(table);
        if (malformed > 0) Console.WriteLine($"{malformed:N0} malformed lines skipped");
        if (json)
        {
            JsonReport.Write(Console.Out, new
            {
                checkpoint = restored.Manifest.Id,
                events = metrics.Count,
                malformedLines = malformed,
                auc = metrics.Auc,
                logLoss = metrics.LogLoss,
                ne = metrics.NormalizedEntropy,
                clickRate = metrics.ClickRate,
                bayesAuc = bayes?.Auc,
                bayesLogLoss = bayes?.LogLoss,
                bayesNe = bayes?.NormalizedEntropy,
            });
        }
        return 0;
    }

    private static async Task<RestoredCheckpoint> RestoreAsync(string path, TorchSharp.torch.Device device, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        bool isCheckpoint = File.Exists(Path.Combine(full, CheckpointFiles.Manifest));
        var root = isCheckpoint ? Path.GetDirectoryName(full)! : full;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"No checkpoint folder at '{path}'.");
        var manager = CheckpointManager.ForDirectory(new CheckpointOptions { Directory = root });
        var id = Path.GetFileName(full);
        var restored = await manager.RestoreLatestAsync(device, isCheckpoint ? m => m.Id == id : null, cancellationToken);
        return restored ?? throw new InvalidDataException(isCheckpoint
            ? $"Checkpoint '{path}' is damaged or incomplete (see `recurring checkpoints verify`)."
            : $"'{path}' holds no valid checkpoint.");
    }
}
