using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using static TorchSharp.torch;

namespace Recurring.Daemon.Offline;

/// <summary>
/// Everything the offline phase needs, built from configuration: the model and its trainer (fresh, or restored from
/// an interrupted offline run), the training events (Criteo TSV files or the synthetic teacher) positioned where
/// training stands, the held-out set right after them, and the AMGP schedule laid out over the whole run.
/// </summary>
public sealed class OfflineSetup : IDisposable
{
    public const string FlopsMlpMetric = "flops.mlp";
    public const string FlopsInteractionMetric = "flops.interaction";
    public const string FlopsFullWidthMlpMetric = "flops.mlp_full_width";
    public const string LinesReadCounter = "offline.lines_read";
    public const string MalformedLinesCounter = "offline.malformed_lines";

    private readonly SyntheticEventSource? _synthetic;
    private readonly TsvEventSource? _tsv;
    private readonly long _linesReadBefore;
    private readonly long _malformedBefore;
    private readonly IReadOnlyDictionary<string, double> _metricsBefore;

    private OfflineSetup(DlrmModel model, DlrmTrainer trainer, FeatureHashing hashing, IClickEventSource source,
        EvaluationSet evaluation, GrowthPruningSchedule schedule, GrowthPruningController? growth, OfflineTrainingOptions options,
        string dataDescription, ulong syntheticSeed, SyntheticEventSource? synthetic, TsvEventSource? tsv, long linesReadBefore, long malformedBefore,
        IReadOnlyDictionary<string, double> metricsBefore, long trainingSeed)
    {
        _metricsBefore = metricsBefore;
        TrainingSeed = trainingSeed;
        Model = model;
        Trainer = trainer;
        Hashing = hashing;
        Source = source;
        Evaluation = evaluation;
        Schedule = schedule;
        Growth = growth;
        Options = options;
        DataDescription = dataDescription;
        SyntheticSeed = syntheticSeed;
        _synthetic = synthetic;
        _tsv = tsv;
        _linesReadBefore = linesReadBefore;
        _malformedBefore = malformedBefore;
    }

    public DlrmModel Model { get; }
    public DlrmTrainer Trainer { get; }
    public FeatureHashing Hashing { get; }
    public IClickEventSource Source { get; }
    public EvaluationSet Evaluation { get; }
    public GrowthPruningSchedule Schedule { get; }
    public GrowthPruningController? Growth { get; }

    /// <summary>What is left to train: <see cref="OfflineTrainingOptions.MaxEvents"/> counts remaining events.</summary>
    public OfflineTrainingOptions Options { get; }

    public string DataDescription { get; }
    public ulong SyntheticSeed { get; }

    /// <summary>Training:Seed: model initialisation and regrowth draw from it.</summary>
    public long TrainingSeed { get; }

    /// <summary>Malformed lines skipped, over the whole offline run (TSV data only).</summary>
    public long MalformedLines => _malformedBefore + (_tsv?.MalformedLines ?? 0);

    /// <summary>A trainer for what is left, its FLOPs meter carrying on from a resumed checkpoint.</summary>
    public OfflineTrainer CreateTrainer()
    {
        var trainer = new OfflineTrainer(Trainer, Hashing, Options, Evaluation, Growth);
        trainer.Flops.Set(_metricsBefore.GetValueOrDefault(FlopsMlpMetric), _metricsBefore.GetValueOrDefault(FlopsInteractionMetric),
            _metricsBefore.GetValueOrDefault(FlopsFullWidthMlpMetric));
        return trainer;
    }

    /// <summary>Where the next training event comes from, for a checkpoint taken now.</summary>
    public DataPositions Position() =>
        _tsv is not null
            ? new DataPositions([new FilePosition(_tsv.Position.Name, _tsv.Position.Offset, _tsv.Position.LineNumber)], [])
            : DataPositions.None with { Synthetic = new SyntheticPosition(SyntheticSeed, _synthetic!.NextEvent) };

    /// <summary>Counters a resumed run needs to carry on where this one stands.</summary>
    public IReadOnlyDictionary<string, long> Counters() => new Dictionary<string, long>
    {
        [LinesReadCounter] = _linesReadBefore + (_tsv?.LinesRead ?? 0),
        [MalformedLinesCounter] = MalformedLines,
    };

    /// <param name="resume">A restored offline (not final) checkpoint to continue from, or null for a fresh run.</param>
    /// <param name="onMalformed">Told about each malformed TSV line (they are skipped).</param>
    public static OfflineSetup Create(RecurringSettings settings, Device device, RestoredCheckpoint? resume = null,
        Action<string, CriteoParseError>? onMalformed = null)
    {
        var config = settings.Model.ToDlrmConfig();
        var hashing = new FeatureHashing(config.RowsPerTable);
        var offline = settings.Offline;
        int batchSize = settings.Training.BatchSize;
        long samplesDone = resume?.Trainer.Samples ?? 0;
        var resumeCounters = resume?.Manifest.Counters.Other ?? new Dictionary<string, long>();

        IClickEventSource source;
        EvaluationSet evaluation;
        SyntheticEventSource? synthetic = null;
        TsvEventSource? tsv = null;
        long trainingEvents;
        string description;
        long linesReadBefore = resumeCounters.GetValueOrDefault(LinesReadCounter);
        if (string.IsNullOrEmpty(offline.Data))
        {
            var generator = new SyntheticClickGenerator(settings.Synthetic);
            trainingEvents = offline.SyntheticEvents;
            long next = 0;
            if (resume is not null)
            {
                var position = resume.Manifest.Positions.Synthetic
                    ?? throw new ArgumentException($"Checkpoint {resume.Manifest.Id} did not train on synthetic data, but Offline:Data is empty.");
                if (position.Seed != settings.Synthetic.Seed)
                    throw new ArgumentException($"Checkpoint {resume.Manifest.Id} trained on Synthetic:Seed {position.Seed}, not {settings.Synthetic.Seed}.");
                next = position.NextEvent;
            }
            source = synthetic = new SyntheticEventSource(generator, next, trainingEvents - next);
            // Held out: the events right after the training range, as a "next day" split.
            evaluation = EvaluationSet.Collect(new SyntheticEventSource(generator, trainingEvents, offline.EvalEvents), offline.EvalEvents, hashing, batchSize);
            description = $"synthetic (seed {settings.Synthetic.Seed}, teacher Bayes AUC target {settings.Synthetic.TargetBayesAuc:F2})";
        }
        else
        {
            var inputs = TsvInputs.FromPath(offline.Data);
            long lines = TsvEventSource.CountLines(inputs);
            long heldOut = Math.Min(offline.EvalEvents, lines / 2);
            long trainingLines = lines - heldOut;
            TsvPosition? start = null;
            if (resume is not null)
            {
                var position = resume.Manifest.Positions.Files.SingleOrDefault()
                    ?? throw new ArgumentException($"Checkpoint {resume.Manifest.Id} did not train on files, but Offline:Data is '{offline.Data}'.");
                start = new TsvPosition(position.Path, position.Offset, position.LineNumber);
            }
            tsv = new TsvEventSource(inputs, start, maxLines: trainingLines - linesReadBefore);
            if (onMalformed is not null) tsv.Malformed += onMalformed;
            source = tsv;
            using var tail = new TsvEventSource(inputs);
            tail.SkipLines(trainingLines);
            evaluation = EvaluationSet.Collect(tail, offline.EvalEvents, hashing, batchSize);
            // Malformed lines are skipped, so the training event count is at most the line count.
            trainingEvents = trainingLines;
            description = $"{offline.Data} ({inputs.Count} file(s), {lines:N0} lines, last {heldOut:N0} held out)";
        }

        var schedule = GrowthPruningSchedule.Create(offline.Amgp, (trainingEvents + batchSize - 1) / batchSize);
        var options = new OfflineTrainingOptions
        {
            BatchSize = batchSize,
            MaxEvents = Math.Max(0, trainingEvents - samplesDone),
            EvaluateEverySteps = offline.EvaluateEverySteps,
        };
        var model = resume?.Model ?? new DlrmModel(config, device, settings.Training.Seed);
        var trainer = resume?.Trainer ?? new DlrmTrainer(model, settings.Training.Optimizer);
        var growth = offline.Amgp.Mode == AmgpMode.Dense ? null : new GrowthPruningController(schedule, model, trainer.MlpOptimizer, settings.Training.Seed);
        return new OfflineSetup(model, trainer, hashing, source, evaluation, schedule, growth, options, description,
            settings.Synthetic.Seed, synthetic, tsv, linesReadBefore, resumeCounters.GetValueOrDefault(MalformedLinesCounter),
            resume?.Manifest.Metrics ?? new Dictionary<string, double>(), settings.Training.Seed);
    }

    public void Dispose()
    {
        Trainer.Dispose();
        Model.Dispose();
        _tsv?.Dispose();
    }
}
