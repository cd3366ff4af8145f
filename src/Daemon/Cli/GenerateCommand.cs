using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Metrics;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring generate`: synthetic events as TSV, JSON lines or Parquet, optionally with each event's true click probability.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Number of events.", Required = true }.InRange(1, Array.MaxLength);
        var seed = new Option<ulong?>("--seed") { Description = "Teacher and data seed (default Synthetic:Seed)." };
        var start = new Option<long>("--start") { Description = "Index of the first event (event time; drift depends on it).", DefaultValueFactory = _ => 0 }.InRange(0, long.MaxValue);
        var output = new Option<string>("--out") { Description = "File to write.", Required = true };
        var format = new Option<string?>("--format")
        {
            Description = "tsv (Criteo layout), jsonl or parquet (default: from the extension of --out, else tsv).",
        }.AcceptOnlyFromAmong(Formats.Keys.ToArray());
        var probabilities = new Option<string?>("--probabilities")
        {
            Description = "Also write each event's true click probability: little-endian float32, one per event of --out, in order.",
        };
        var json = CommonOptions.Json();
        var command = new Command("generate", "Write synthetic click events drawn from the hidden teacher as TSV, JSON lines or Parquet.")
        {
            events, seed, start, output, format, probabilities, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => Task.FromResult(CommandSettings.Guard(() =>
        {
            var overrides = result.GetValue(seed) is { } s ? new[] { $"--Synthetic:Seed={s}" } : [];
            var settings = CommandSettings.Load(result, overrides);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            long count = result.GetValue(events);
            string path = result.GetValue(output)!;
            var fileFormat = result.GetValue(format) is { } named ? Formats[named] : EventFile.FormatOf(path) ?? EventFileFormat.CriteoTsv;
            var report = Generate(new SyntheticClickGenerator(settings.Synthetic, settings.Schema), settings.Schema, result.GetValue(start), count,
                path, fileFormat, result.GetValue(probabilities), cancellationToken);
            Console.WriteLine($"wrote {report.Events:N0} events to {report.Out}: click rate {report.ClickRate:P2}, " +
                              $"Bayes AUC {report.BayesAuc:F4}, Bayes logloss {report.BayesLogLoss:F4} ({report.Seconds:F1} s)");
            if (result.GetValue(json)) JsonReport.Write(Console.Out, report);
            return 0;
        })));
        return command;
    }

    private static readonly Dictionary<string, EventFileFormat> Formats = new()
    {
        ["tsv"] = EventFileFormat.CriteoTsv,
        ["jsonl"] = EventFileFormat.JsonLines,
        ["parquet"] = EventFileFormat.Parquet,
    };

    public sealed record GenerateReport(long Events, long Clicks, double ClickRate, double BayesAuc, double BayesLogLoss, double Seconds, string Out,
        string Format, string? Probabilities);

    private static GenerateReport Generate(SyntheticClickGenerator generator, FeatureSchema schema, long first, long count, string output,
        EventFileFormat format, string? probabilitiesPath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var source = new SyntheticEventSource(generator, first, count);
        var e = new ClickEvent(schema);
        var probabilities = new float[count];
        var labels = new float[count];
        using (var writer = EventFileWriter.Create(format, () => new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16), schema))
        {
            for (long i = 0; source.TryRead(e, out double probability); i++)
            {
                if ((i & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                probabilities[i] = (float)probability;
                labels[i] = e.Label ? 1 : 0;
                writer.Write(e);
            }
        }
        if (probabilitiesPath is not null) WriteProbabilities(probabilitiesPath, probabilities);

        var bayes = ClickMetrics.Compute(probabilities, labels);
        return new GenerateReport(count, (long)labels.Sum(l => (double)l), bayes.ClickRate, bayes.Auc, bayes.LogLoss,
            clock.Elapsed.TotalSeconds, Path.GetFullPath(output), Formats.First(f => f.Value == format).Key, probabilitiesPath is null ? null : Path.GetFullPath(probabilitiesPath));
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
