using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring generate`: synthetic Criteo TSV, optionally with each event's true click probability.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Number of events.", Required = true };
        var seed = new Option<ulong?>("--seed") { Description = "Teacher and data seed (default Synthetic:Seed)." };
        var start = new Option<long>("--start") { Description = "Index of the first event (event time; drift depends on it).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Criteo TSV file to write.", Required = true };
        var probabilities = new Option<string?>("--probabilities")
        {
            Description = "Also write each event's true click probability: little-endian float32, one per line of --out, in order.",
        };
        var json = CommonOptions.Json();
        var command = new Command("generate", "Write synthetic click events drawn from the hidden teacher as Criteo TSV.")
        {
            events, seed, start, output, probabilities, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => Task.FromResult(CommandSettings.Guard(() =>
        {
            var overrides = result.GetValue(seed) is { } s ? new[] { $"--Synthetic:Seed={s}" } : [];
            var settings = CommandSettings.Load(result, overrides);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            long count = result.GetValue(events);
            if (count < 1 || count > Array.MaxLength) throw new ArgumentException($"--events must lie between 1 and {Array.MaxLength}, not {count}.");
            if (result.GetValue(start) < 0) throw new ArgumentException("--start must be 0 or more.");
            var report = Generate(new SyntheticClickGenerator(settings.Synthetic), result.GetValue(start), count,
                result.GetValue(output)!, result.GetValue(probabilities), cancellationToken);
            Console.WriteLine($"wrote {report.Events:N0} events to {report.Out}: click rate {report.ClickRate:P2}, " +
                              $"Bayes AUC {report.BayesAuc:F4}, Bayes logloss {report.BayesLogLoss:F4} ({report.Seconds:F1} s)");
            if (result.GetValue(json)) JsonReport.Write(Console.Out, report);
            return 0;
        })));
        return command;
    }

    public sealed record GenerateReport(long Events, long Clicks, double ClickRate, double BayesAuc, double BayesLogLoss, double Seconds, string Out, string? Probabilities);

    private static GenerateReport Generate(SyntheticClickGenerator generator, long first, long count, string output,
        string? probabilitiesPath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var record = new CriteoRecord();
        var probabilities = new float[count];
        var labels = new float[count];
        using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var writer = new CriteoTsvWriter(file, leaveOpen: true))
        {
            for (long i = 0; i < count; i++)
            {
                if ((i & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                probabilities[i] = (float)generator.Generate(first + i, record);
                labels[i] = record.Label ? 1 : 0;
                writer.Write(record);
            }
        }
        if (probabilitiesPath is not null) WriteProbabilities(probabilitiesPath, probabilities);

        var bayes = ClickMetrics.Compute(probabilities, labels);
        return new GenerateReport(count, (long)labels.Sum(l => (double)l), bayes.ClickRate, bayes.Auc, bayes.LogLoss,
            clock.Elapsed.TotalSeconds, Path.GetFullPath(output), probabilitiesPath is null ? null : Path.GetFullPath(probabilitiesPath));
    }

    private static void WriteProbabilities(string path, float[] probabilities)
    {
        var bytes = new byte[probabilities.Length * sizeof(float)];
        for (int i = 0; i < probabilities.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), probabilities[i]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads a file written by --probabilities.</summary>
    public static float[] ReadProbabilities(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length % sizeof(float) != 0)
            throw new InvalidDataException($"{path} is not a probabilities file: its length {bytes.Length} is not a multiple of 4.");
        var values = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        return values;
    }
}
