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

    /// <inheritdoc cref="DeviceSelection.Resolve"/>
    public TorchDevice ResolveDevice() => DeviceSelection.Resolve(Training, Torch);

    public static RecurringSettings Bind(IConfiguration configuration) => new()
    {
        Model = configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new(),
        Training = configuration.GetSection(TrainingOptions.Section).Get<TrainingOptions>() ?? new(),
        Offline = configuration.GetSection(OfflineOptions.Section).Get<OfflineOptions>() ?? new(),
        Synthetic = BindSynthetic(configuration.GetSection(SyntheticSection)),
        Checkpoints = configuration.GetSection(CheckpointOptions.Section).Get<CheckpointOptions>() ?? new(),
        CheckpointSchedule = configuration.GetSection(CheckpointOptions.Section).Get<CheckpointScheduleOptions>() ?? new(),
        Kafka = configuration.GetSection(KafkaOptions.Section).Get<KafkaOptions>() ?? new(),
        Streaming = configuration.GetSection(StreamingOptions.Section).Get<StreamingOptions>() ?? new(),
        Admin = configuration.GetSection(AdminOptions.Section).Get<AdminOptions>() ?? new(),
        Torch = configuration.GetSection(TorchOptions.Section).Get<TorchOptions>() ?? new(),
    };

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
