using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Core.Model;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// Every section of <see cref="RecurringOptions.Sections"/> bound and validated together, for commands that run
/// without the host. Each problem is one line naming its key; the validators are the host's.
/// </summary>
public sealed class RecurringSettings
{
    private readonly IReadOnlyDictionary<Type, object> _options;
    private readonly IReadOnlyList<string> _bindingErrors;

    private RecurringSettings(IReadOnlyDictionary<Type, object> options, IReadOnlyList<string> bindingErrors)
    {
        _options = options;
        _bindingErrors = bindingErrors;
    }

    public ModelOptions Model => Get<ModelOptions>();
    public FeaturesOptions Features => Get<FeaturesOptions>();
    public TrainingOptions Training => Get<TrainingOptions>();
    public OfflineOptions Offline => Get<OfflineOptions>();
    public SyntheticDataOptions Synthetic => Get<SyntheticDataOptions>();
    public CheckpointOptions Checkpoints => Get<CheckpointOptions>();
    public KafkaOptions Kafka => Get<KafkaOptions>();
    public StreamingOptions Streaming => Get<StreamingOptions>();
    public AdminOptions Admin => Get<AdminOptions>();
    public TorchOptions Torch => Get<TorchOptions>();
    public LogOptions Log => Get<LogOptions>();

    public T Get<T>() => (T)_options[typeof(T)];

    /// <summary>The options object of one section, by its type.</summary>
    public object Of(Type optionsType) => _options[optionsType];

    /// <summary>
    /// Checks the keys, binds and validates; on problems writes one "configuration error:" line each (unknown keys
    /// first) and returns null.
    /// </summary>
    /// <param name="commandRules">Rules of the command on top of every section's own (the daemon's choice of brokers), judged
    /// once the sections are valid: a misspelt key would otherwise be reported twice, as unknown and as missing.</param>
    public static RecurringSettings? TryLoad(IConfiguration configuration, TextWriter errors, Func<RecurringSettings, IEnumerable<string>>? commandRules = null)
    {
        var settings = Bind(configuration);
        IReadOnlyList<string> problems = [.. ConfigurationKeys.Recurring.UnknownKeyProblems(configuration), .. settings.Validate()];
        if (problems.Count == 0 && commandRules is not null) problems = [.. commandRules(settings)];
        foreach (var problem in problems) errors.WriteLine($"configuration error: {problem}");
        return problems.Count == 0 ? settings : null;
    }

    /// <summary>The configured feature schema, tables without their own Rows sized by Model:RowsPerTable.</summary>
    public FeatureSchema Schema => Features.ToSchema(Model.RowsPerTable);

    /// <summary>The configured model under the configured schema.</summary>
    public DlrmConfig ToDlrmConfig() => Model.ToDlrmConfig(Schema);

    /// <inheritdoc cref="DeviceSelection.Resolve"/>
    public TorchDevice ResolveDevice() => DeviceSelection.Resolve(Training, Torch);

    /// <summary>
    /// Binds every section. A value that does not convert (a word where a number belongs) is reported by
    /// <see cref="Validate"/> with its key, that section falls back to its defaults, and the other sections still bind,
    /// so one run lists every problem.
    /// </summary>
    public static RecurringSettings Bind(IConfiguration configuration)
    {
        var errors = new List<string>();
        var options = new Dictionary<Type, object>();
        foreach (var section in RecurringOptions.Sections)
        {
            try
            {
                options[section.OptionsType] = section.Bind(configuration);
            }
            catch (InvalidOperationException e)
            {
                // The binder's message names the key and the type it could not convert to.
                errors.Add(e.InnerException is { } cause ? $"{e.Message} {cause.Message}" : e.Message);
                options[section.OptionsType] = section.Defaults();
            }
        }
        return new RecurringSettings(options, errors);
    }

    /// <summary>The options objects the host registered (<see cref="RecurringOptions.AddRecurringOptions"/>), so both see the same instances.</summary>
    internal static RecurringSettings From(IServiceProvider services) =>
        new(RecurringOptions.Sections.ToDictionary(s => s.OptionsType, s => services.GetRequiredService(s.OptionsType)), []);

    /// <summary>Kafka:Format criteo-tsv fills 13 dense then 26 single-valued sparse features by position: another layout needs json.</summary>
    private IEnumerable<string> KafkaFormatProblems()
    {
        if (Kafka.Format == KafkaEventFormat.CriteoTsv && !Features.Validate(Model.RowsPerTable).Any() && !Schema.HasCriteoLayout)
            yield return $"{KafkaOptions.Section}:{nameof(KafkaOptions.Format)} is criteo-tsv, whose lines hold {CriteoRecord.DenseCount} dense then " +
                         $"{CriteoRecord.CategoricalCount} single-valued sparse features, but {FeaturesOptions.Section} declares {DescribeLayout()}: " +
                         $"set {KafkaOptions.Section}:{nameof(KafkaOptions.Format)}=json.";
    }

    /// <summary>
    /// Criteo TSV files fill 13 dense then 26 single-valued sparse features by position: Offline:Data or
    /// Offline:EvalData naming a .tsv file under another layout has nothing to read (a folder's files are checked when
    /// the offline phase lists them). JSON-lines and Parquet files and the synthetic teacher follow any schema.
    /// </summary>
    private IEnumerable<string> OfflineSourceProblems()
    {
        if (Features.Validate(Model.RowsPerTable).Any() || Schema.HasCriteoLayout) yield break;
        foreach (var (key, path) in new[] { (nameof(OfflineOptions.Data), Offline.Data), (nameof(OfflineOptions.EvalData), Offline.EvalData) })
        {
            if (EventFile.FormatOf(path) == EventFileFormat.CriteoTsv)
                yield return $"{OfflineOptions.Section}:{key} '{path}' is Criteo TSV, whose lines hold {CriteoRecord.DenseCount} dense then " +
                             $"{CriteoRecord.CategoricalCount} single-valued sparse features, but {FeaturesOptions.Section} declares {DescribeLayout()}: " +
                             "write the events as .jsonl or .parquet.";
        }
    }

    private string DescribeLayout() => $"{Schema.Dense.Count} dense and {Schema.Sparse.Count} sparse features ({Schema.MultiValued.Count} multi-valued)";

    /// <summary>
    /// Each section's problems, the model's shape beside the Model section's own (under the configured schema, or the
    /// Criteo preset while that is invalid, so a broken feature does not hide a broken layer), and whether the event
    /// sources can fill the schema.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = RecurringOptions.Sections.SelectMany(section => section.Problems(_options[section.OptionsType])).ToList();
        bool schemaValid = !problems.Any(p => p.StartsWith(FeaturesOptions.Section + ":", StringComparison.Ordinal));
        var shape = Model.ToDlrmConfig(schemaValid ? Schema : FeatureSchema.Criteo()).Validate().Select(problem => $"{ModelOptions.Section}:{problem}");
        problems.InsertRange(problems.FindLastIndex(p => p.StartsWith(ModelOptions.Section + ":", StringComparison.Ordinal)) + 1, shape);
        return [.. _bindingErrors, .. problems, .. KafkaFormatProblems(), .. OfflineSourceProblems()];
    }
}
