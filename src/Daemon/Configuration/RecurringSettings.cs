using Microsoft.Extensions.Configuration;
using Recurring.Checkpointing;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// Every configuration section bound and validated together, for commands that run without the host. Each
/// problem is one line naming its key.
/// </summary>
public sealed class RecurringSettings
{
    public const string SyntheticSection = "Synthetic";

    public ModelOptions Model { get; private init; } = new();
    public TrainingOptions Training { get; private init; } = new();
    public OfflineOptions Offline { get; private init; } = new();
    public SyntheticDataOptions Synthetic { get; private init; } = new();
    public CheckpointOptions Checkpoints { get; private init; } = new();
    public CheckpointScheduleOptions CheckpointSchedule { get; private init; } = new();
    public KafkaOptions Kafka { get; private init; } = new();
    public StreamingOptions Streaming { get; private init; } = new();
    public AdminOptions Admin { get; private init; } = new();
    public TorchOptions Torch { get; private init; } = new();
    public LogOptions Log { get; private init; } = new();

    /// <summary>Binds and validates; on problems writes one "configuration error:" line each and returns null.</summary>
    public static RecurringSettings? TryLoad(IConfiguration configuration, TextWriter errors)
    {
        var settings = Bind(configuration);
        var problems = settings.Validate();
        foreach (var problem in problems) errors.WriteLine($"configuration error: {problem}");
        return problems.Count == 0 ? settings : null;
    }

    /// <inheritdoc cref="DeviceSelection.Resolve"/>
    public TorchDevice ResolveDevice() => DeviceSelection.Resolve(Training, Torch);

    private IReadOnlyList<string> _bindingErrors = [];

    /// <summary>
    /// Binds every section. A value that does not convert (a word where a number belongs) is reported by
    /// <see cref="Validate"/> with its key, that section falls back to its defaults, and the other sections still bind,
    /// so one run lists every problem.
    /// </summary>
    public static RecurringSettings Bind(IConfiguration configuration)
    {
        var errors = new List<string>();
        T Section<T>(string name, Func<IConfigurationSection, T?> bind) where T : new()
        {
            try
            {
                return bind(configuration.GetSection(name)) ?? new T();
            }
            catch (InvalidOperationException e)
            {
                // The binder's message names the key and the type it could not convert to.
                errors.Add(e.InnerException is { } cause ? $"{e.Message} {cause.Message}" : e.Message);
                return new T();
            }
        }

        return new RecurringSettings
        {
            Model = Section(ModelOptions.Section, s => s.Get<ModelOptions>()),
            Training = Section(TrainingOptions.Section, s => s.Get<TrainingOptions>()),
            Offline = Section(OfflineOptions.Section, s => s.Get<OfflineOptions>()),
            Synthetic = Section(SyntheticSection, BindSynthetic),
            Checkpoints = Section(CheckpointOptions.Section, s => s.Get<CheckpointOptions>()),
            CheckpointSchedule = Section(CheckpointOptions.Section, s => s.Get<CheckpointScheduleOptions>()),
            Kafka = Section(KafkaOptions.Section, s => s.Get<KafkaOptions>()),
            Streaming = Section(StreamingOptions.Section, s => s.Get<StreamingOptions>()),
            Admin = Section(AdminOptions.Section, s => s.Get<AdminOptions>()),
            Torch = Section(TorchOptions.Section, s => s.Get<TorchOptions>()),
            Log = Section(LogOptions.Section, s => s.Get<LogOptions>()),
            _bindingErrors = errors,
        };
    }

    /// <summary>
    /// The binder appends configured list items to a non-empty default list; the generator's per-table lists are
    /// read separately so a configured list replaces the default.
    /// </summary>
    private static SyntheticDataOptions BindSynthetic(IConfigurationSection section)
    {
        var bound = section.Get<SyntheticDataOptions>(o => o.ErrorOnUnknownConfiguration = false) ?? new();
        var defaults = new SyntheticDataOptions();
        return bound with
        {
            CategoricalCardinalities = section.GetSection(nameof(SyntheticDataOptions.CategoricalCardinalities)).Get<int[]>() ?? defaults.CategoricalCardinalities,
            DenseMissingRates = section.GetSection(nameof(SyntheticDataOptions.DenseMissingRates)).Get<double[]>() ?? defaults.DenseMissingRates,
            CategoricalMissingRates = section.GetSection(nameof(SyntheticDataOptions.CategoricalMissingRates)).Get<double[]>() ?? defaults.CategoricalMissingRates,
        };
    }

    public IReadOnlyList<string> Validate() =>
    [
        .. _bindingErrors,
        .. Model.Validate(),
        .. Training.Validate(),
        .. Offline.Validate(),
        .. Synthetic.Validate().Select(e => $"{SyntheticSection}:{e}"),
        .. Checkpoints.Validate(),
        .. CheckpointSchedule.Validate(),
        .. Kafka.Validate(),
        .. Streaming.Validate(),
        .. Admin.Validate(),
        .. Torch.Validate(),
    ];
}
