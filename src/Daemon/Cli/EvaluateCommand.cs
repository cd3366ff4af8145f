using System.CommandLine;
using Recurring.Core.Data;
using Recurring.Core.Metrics;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Offline;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>
/// `recurring evaluate`: AUC, logloss and NE of a saved model on any event file (TSV, JSON lines, Parquet), and, with --predictions, every
/// event's click probability, so any serving stack can be compared with the trainer event by event.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = SavedModel.Description, Required = true };
        var data = new Option<string>("--data") { Description = $"Event file or folder to score, by extension {EventFiles.Choices}.", Required = true };
        var probabilities = new Option<string?>("--probabilities") { Description = "The teacher's probabilities written by `generate`, for the Bayes figures." };
        var predictions = new Option<string?>("--predictions")
        {
            Description = "Write each scored event's click probability to this file (TSV: record, label, probability; malformed records are skipped).",
        };
        var json = CommonOptions.Json();
        var command = new Command("evaluate", "Score a saved model on an event file: AUC, logloss, NE (and the Bayes reference).") { model, data, probabilities, predictions, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = CommandSettings.Load(result);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            return await CommandSettings.GuardAsync(() => RunAsync(settings, result.GetValue(model)!, result.GetValue(data)!,
                result.GetValue(probabilities), result.GetValue(predictions), result.GetValue(json), cancellationToken));
        });
        return command;
    }

    private static async Task<int> RunAsync(RecurringSettings settings, string modelPath, string dataPath, string? probabilitiesPath, string? predictionsPath,
        bool json, CancellationToken cancellationToken)
    {
        if (predictionsPath is { Length: 0 }) throw new ArgumentException("--predictions needs a file name.");
        var device = settings.ResolveDevice().Device;
        using var restored = await SavedModel.RestoreAsync(modelPath, device, cancellationToken);
        var trainer = restored.Trainer;
        var teacher = probabilitiesPath is null ? null : GenerateCommand.ReadProbabilities(probabilitiesPath);

        var scores = new List<float>();
        var labels = new List<float>();
        var truth = new List<float>();
        long malformed = 0;
        EventReadError? firstError = null;
        var features = restored.Model.Config.Features;
        var batch = new FeatureBatch(features, settings.Training.BatchSize);
        var e = new ClickEvent(features);
        var lines = new List<long>();
        using (var source = new EventFileSource(features, EventFiles.FromPath(dataPath, features)))
        await using (var written = predictionsPath is null ? null : new PredictionsFile(predictionsPath))
        {
            source.Malformed += (_, error) =>
            {
                malformed++;
                firstError ??= error;
            };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                lines.Clear();
                batch.Refill(source, restored.Model.Encoder, e, added: (read, _) =>
                {
                    lines.Add(source.RecordsRead);
                    labels.Add(read.Label ? 1 : 0);
                    if (teacher is not null)
                    {
                        long record = source.RecordsRead;
                        if (record > teacher.Length)
                            throw new InvalidDataException($"{probabilitiesPath} holds {teacher.Length} probabilities but {dataPath} has more records.");
                        truth.Add(teacher[record - 1]);
                    }
                });
                if (batch.Count == 0) break;
                var batchScores = trainer.Predict(batch);
                if (written is not null) await written.WriteAsync(lines, batch.Labels, batchScores, cancellationToken);
                scores.AddRange(batchScores);
            }
        }

        if (scores.Count == 0)
            throw new InvalidDataException(firstError is { } first
                ? $"{dataPath} holds no event the model can read: all {malformed:N0} records are malformed, the first (record {first.Record}): {first.Reason}"
                : $"{dataPath} holds no events.");
        var metrics = ClickMetrics.Compute(scores.ToArray(), labels.ToArray());
        var bayes = teacher is null ? null : ClickMetrics.Compute(truth.ToArray(), labels.ToArray());
        var table = new Table().AddColumns("figure", "model", "Bayes (teacher)");
        table.AddRow("events", $"{metrics.Count:N0}", "");
        table.AddRow("AUC", $"{metrics.Auc:F4}", bayes is null ? "" : $"{bayes.Auc:F4}");
        table.AddRow("logloss", $"{metrics.LogLoss:F4}", bayes is null ? "" : $"{bayes.LogLoss:F4}");
        table.AddRow("NE", $"{metrics.NormalizedEntropy:F4}", bayes is null ? "" : $"{bayes.NormalizedEntropy:F4}");
        Terminal.For(Console.Out).Write(table);
        if (malformed > 0) Console.WriteLine($"{malformed:N0} malformed records skipped");
        if (json)
        {
            JsonReport.Write(Console.Out, new
            {
                checkpoint = restored.Manifest.Id,
                events = metrics.Count,
                malformedLines = malformed,
                predictions = predictionsPath is null ? null : Path.GetFullPath(predictionsPath),
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
}
