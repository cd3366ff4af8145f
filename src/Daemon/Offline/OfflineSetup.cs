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
/// an interrupted offline run), the training events (TSV, JSON-lines or Parquet files, or the synthetic teacher) positioned where
/// training stands, the held-out set right after them, and the AMGP schedule laid out over the whole run.
/// </summary>
public sealed class OfflineSetup : IDisposable
{
    public const string FlopsMlpMetric = "flops.mlp";
    public const string FlopsInteractionMetric = "flops.interaction";
    public const string FlopsFullWidthMlpMetric = "flops.mlp_full_width";
    // Records (lines or Parquet rows); the names predate the other formats and stay, as checkpoints hold them.
    public const string RecordsReadCounter = "offline.lines_read";
    public const string MalformedRecordsCounter = "offline.malformed_lines";

    private readonly SyntheticEventSource? _synthetic;
    private readonly EventFileSource? _files;
    private readonly long _recordsReadBefore;
    private readonly long _malformedBefore;
    private readonly IReadOnlyDictionary<string, double> _metricsBefore;

    private OfflineSetup(DlrmModel model, DlrmTrainer trainer, IClickEventSource source,
        EvaluationSet evaluation, GrowthPruningSchedule schedule, GrowthPruningController? growth, OfflineTrainingOptions options,
        string dataDescription, ulong syntheticSeed, SyntheticEventSource? synthetic, EventFileSource? files, long recordsReadBefore, long malformedBefore,
        IReadOnlyDictionary<string, double> metricsBefore, long trainingSeed)
    {
        _metricsBefore = metricsBefore;
        TrainingSeed = trainingSeed;
        Model = model;
        Trainer = trainer;
        Source = source;
        Evaluation = evaluation;
        Schedule = schedule;
        Growth = growth;
        Options = options;
        DataDescription = dataDescription;
        SyntheticSeed = syntheticSeed;
        _synthetic = synthetic;
        _files = files;
        _recordsReadBefore = recordsReadBefore;
        _malformedBefore = malformedBefore;
    }

    public DlrmModel Model { get; }
    public DlrmTrainer Trainer { get; }
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

    /// <summary>Malformed records skipped, over the whole offline run (files only).</summary>
    public long MalformedRecords => _malformedBefore + (_files?.MalformedRecords ?? 0);

    /// <summary>A trainer for what is left, its FLOPs meter carrying on from a resumed checkpoint.</summary>
    public OfflineTrainer CreateTrainer()
    {
        var trainer = new OfflineTrainer(Trainer, Options, Evaluation, Growth);
        trainer.Flops.Set(_metricsBefore.GetValueOrDefault(FlopsMlpMetric), _metricsBefore.GetValueOrDefault(FlopsInteractionMetric),
            _metricsBefore.GetValueOrDefault(FlopsFullWidthMlpMetric));
        return trainer;
    }

    /// <summary>Where the next training event comes from, for a checkpoint taken now.</summary>
    public DataPositions Position() =>
        _files is not null
            ? new DataPositions([new FilePosition(_files.Position.Name, _files.Position.Offset, _files.Position.Records)], [])
            : DataPositions.None with { Synthetic = new SyntheticPosition(SyntheticSeed, _synthetic!.NextEvent) };

    /// <summary>Counters a resumed run needs to carry on where this one stands.</summary>
    public IReadOnlyDictionary<string, long> Counters() => new Dictionary<string, long>
    {
        [RecordsReadCounter] = _recordsReadBefore + (_files?.RecordsRead ?? 0),
        [MalformedRecordsCounter] = MalformedRecords,
    };

    /// <param name="resume">A restored offline (not final) checkpoint to continue from, or null for a fresh run.</param>
    /// <param name="onMalformed">Told about each malformed record of a file (they are skipped).</param>
    public static OfflineSetup Create(RecurringSettings settings, Device device, RestoredCheckpoint? resume = null,
        Action<string, EventReadError>? onMalformed = null)
    {
        var config = settings.ToDlrmConfig();
        var offline = settings.Offline;
        int batchSize = settings.Training.BatchSize;
        long samplesDone = resume?.Trainer.Samples ?? 0;
        var resumeCounters = resume?.Manifest.Counters.Other ?? new Dictionary<string, long>();

        IClickEventSource source;
        Func<IClickEventSource> openHeldOut;
        Func<IClickEventSource> fromStart;
        SyntheticEventSource? synthetic = null;
        EventFileSource? files = null;
        long trainingEvents;
        Func<int, string> describe; // by the number of events held out
        long recordsReadBefore = resumeCounters.GetValueOrDefault(RecordsReadCounter);
        if (string.IsNullOrEmpty(offline.Data))
        {
            var generator = new SyntheticClickGenerator(settings.Synthetic, settings.Schema);
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
            openHeldOut = () => new SyntheticEventSource(generator, trainingEvents, offline.EvalEvents);
            fromStart = () => new SyntheticEventSource(generator, 0, trainingEvents);
            describe = held => $"synthetic (seed {settings.Synthetic.Seed}, teacher Bayes AUC target {settings.Synthetic.TargetBayesAuc:F2}): " +
                               $"{trainingEvents - next:N0} events train, {held:N0} held out (the events after them)";
        }
        else
        {
            var features = config.Features;
            var inputs = EventFiles.FromPath(offline.Data, features);
            long records = EventFileSource.CountRecords(inputs);
            bool separateEval = !string.IsNullOrEmpty(offline.EvalData);
            // Held out from the training file only when no separate file is given, and then a small share of it.
            long heldOut = separateEval ? 0 : Math.Min(offline.EvalEvents, Math.Max(1, (long)Math.Round(records * offline.EvalFraction)));
            if (heldOut >= records) heldOut = 0;
            long trainingRecords = records - heldOut;
            EventFilePosition? start = null;
            if (resume is not null)
            {
                var position = resume.Manifest.Positions.Files.SingleOrDefault()
                    ?? throw new ArgumentException($"Checkpoint {resume.Manifest.Id} did not train on files, but Offline:Data is '{offline.Data}'.");
                start = new EventFilePosition(position.Path, position.Offset, position.LineNumber);
            }
            files = new EventFileSource(features, inputs, start, maxRecords: trainingRecords - recordsReadBefore);
            if (onMalformed is not null) files.Malformed += onMalformed;
            source = files;
            openHeldOut = separateEval
                ? () => new EventFileSource(features, EventFiles.FromPath(offline.EvalData, features))
                : () =>
                {
                    var tail = new EventFileSource(features, inputs);
                    tail.SkipRecords(trainingRecords);
                    return tail;
                };
            fromStart = () => new EventFileSource(features, inputs, maxRecords: trainingRecords);
            // Malformed records are skipped, so the training event count is at most the record count.
            trainingEvents = trainingRecords;
            describe = held => $"{offline.Data} ({inputs.Count} {Describe(inputs[0].Format)} file(s), {records:N0} records): {trainingRecords:N0} events train, " +
                               (separateEval ? $"{held:N0} from {offline.EvalData} held out"
                                             : $"{held:N0} held out (the last {(double)heldOut / records:P1}; Offline:EvalFraction, or --eval FILE)");
        }

        var schedule = GrowthPruningSchedule.Create(offline.Amgp, (trainingEvents + batchSize - 1) / batchSize);
        var options = new OfflineTrainingOptions
        {
            BatchSize = batchSize,
            MaxEvents = Math.Max(0, trainingEvents - samplesDone),
            EvaluateEverySteps = offline.EvaluateEverySteps,
            RunSteps = schedule.TotalSteps,
            MlpRateBoost = offline.MlpRateBoost,
        };
        var model = resume?.Model ?? new DlrmModel(config, device, settings.Training.Seed, MeasureStatistics(config.Features, fromStart));
        var trainer = resume?.Trainer ?? new DlrmTrainer(model, settings.Training.Optimizer);
        trainer.ClipGradientNorm = settings.Training.ClipGradientNorm;
        var evaluationSource = openHeldOut();
        var evaluation = EvaluationSet.Collect(evaluationSource, offline.EvalEvents, model.Encoder, batchSize);
        (evaluationSource as IDisposable)?.Dispose();
        var growth = schedule.Options.Mode == AmgpMode.Dense ? null : new GrowthPruningController(schedule, model, trainer.MlpOptimizer, settings.Training.Seed);
        return new OfflineSetup(model, trainer, source, evaluation, schedule, growth, options, describe(evaluation.Count),
            settings.Synthetic.Seed, synthetic, files, recordsReadBefore, resumeCounters.GetValueOrDefault(MalformedRecordsCounter),
            resume?.Manifest.Metrics ?? new Dictionary<string, double>(), settings.Training.Seed);
    }

    private static string Describe(EventFileFormat format) => format switch
    {
        EventFileFormat.CriteoTsv => "Criteo TSV",
        EventFileFormat.JsonLines => "JSON-lines",
        _ => "Parquet",
    };

    /// <summary>The standardized features' moments over the start of the training data (nothing is read when none is standardized).</summary>
    private static FeatureStatistics MeasureStatistics(FeatureSchema features, Func<IClickEventSource> fromStart)
    {
        if (features.Dense.All(d => d.Transform != DenseTransform.Standardize)) return FeatureStatistics.None;
        var source = fromStart();
        try
        {
            return FeatureStatistics.Measure(features, source);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    public void Dispose()
    {
        Growth?.Dispose();
        Trainer.Dispose();
        Model.Dispose();
        _files?.Dispose();
    }
}
