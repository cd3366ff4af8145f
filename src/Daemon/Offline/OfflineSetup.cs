using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Growth;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using static TorchSharp.torch;

namespace Recurring.Daemon.Offline;

/// <summary>
/// Everything the offline phase needs, built from configuration: the model and its trainer, the training events
/// (Criteo TSV files or the synthetic teacher), the held-out set right after them, and the AMGP schedule.
/// </summary>
public sealed class OfflineSetup : IDisposable
{
    private readonly TsvEventSource? _tsvSource;

    private OfflineSetup(DlrmModel model, DlrmTrainer trainer, FeatureHashing hashing, IClickEventSource source,
        EvaluationSet evaluation, GrowthPruningSchedule schedule, GrowthPruningController? growth, OfflineTrainingOptions options,
        string dataDescription, TsvEventSource? tsvSource)
    {
        Model = model;
        Trainer = trainer;
        Hashing = hashing;
        Source = source;
        Evaluation = evaluation;
        Schedule = schedule;
        Growth = growth;
        Options = options;
        DataDescription = dataDescription;
        _tsvSource = tsvSource;
    }

    public DlrmModel Model { get; }
    public DlrmTrainer Trainer { get; }
    public FeatureHashing Hashing { get; }
    public IClickEventSource Source { get; }
    public EvaluationSet Evaluation { get; }
    public GrowthPruningSchedule Schedule { get; }
    public GrowthPruningController? Growth { get; }
    public OfflineTrainingOptions Options { get; }
    public string DataDescription { get; }

    /// <summary>Malformed lines skipped so far (TSV data only).</summary>
    public long MalformedLines => _tsvSource?.MalformedLines ?? 0;

    public OfflineTrainer CreateTrainer() => new(Trainer, Hashing, Options, Evaluation, Growth);

    /// <param name="onMalformed">Told about each malformed TSV line (they are skipped).</param>
    public static OfflineSetup Create(RecurringSettings settings, Device device, Action<string, CriteoParseError>? onMalformed = null)
    {
        var config = settings.Model.ToDlrmConfig();
        var hashing = new FeatureHashing(config.RowsPerTable);
        var offline = settings.Offline;
        int batchSize = settings.Training.BatchSize;

        IClickEventSource source;
        EvaluationSet evaluation;
        TsvEventSource? tsv = null;
        long trainingEvents;
        string description;
        if (string.IsNullOrEmpty(offline.Data))
        {
            var generator = new SyntheticClickGenerator(settings.Synthetic);
            trainingEvents = offline.SyntheticEvents;
            source = new SyntheticEventSource(generator, 0, trainingEvents);
            // Held out: the events right after the training range, as a "next day" split.
            evaluation = EvaluationSet.Collect(new SyntheticEventSource(generator, trainingEvents, offline.EvalEvents), offline.EvalEvents, hashing, batchSize);
            description = $"synthetic (seed {settings.Synthetic.Seed}, teacher Bayes AUC target {settings.Synthetic.TargetBayesAuc:F2})";
        }
        else
        {
            var inputs = TsvInputs.FromPath(offline.Data);
            long lines = TsvEventSource.CountLines(inputs);
            long heldOut = Math.Min(offline.EvalEvents, lines / 2);
            trainingEvents = lines - heldOut;
            tsv = new TsvEventSource(inputs, maxLines: trainingEvents);
            if (onMalformed is not null) tsv.Malformed += onMalformed;
            source = tsv;
            using var tail = new TsvEventSource(inputs);
            tail.SkipLines(trainingEvents);
            evaluation = EvaluationSet.Collect(tail, offline.EvalEvents, hashing, batchSize);
            description = $"{offline.Data} ({inputs.Count} file(s), {lines:N0} lines, last {heldOut:N0} held out)";
        }

        var options = new OfflineTrainingOptions { BatchSize = batchSize, MaxEvents = trainingEvents, EvaluateEverySteps = offline.EvaluateEverySteps };
        var schedule = GrowthPruningSchedule.Create(offline.Amgp, options.PlannedSteps);
        var model = new DlrmModel(config, device, settings.Training.Seed);
        var trainer = new DlrmTrainer(model, settings.Training.Optimizer);
        var growth = offline.Amgp.Mode == AmgpMode.Dense ? null : new GrowthPruningController(schedule, model, trainer.MlpOptimizer, settings.Training.Seed);
        return new OfflineSetup(model, trainer, hashing, source, evaluation, schedule, growth, options, description, tsv);
    }

    public void Dispose()
    {
        Trainer.Dispose();
        Model.Dispose();
        _tsvSource?.Dispose();
    }
}
