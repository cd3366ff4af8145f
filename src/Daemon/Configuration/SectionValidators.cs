using System.Net;
using System.Text.RegularExpressions;
using Recurring.Checkpointing;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;

namespace Recurring.Daemon.Configuration;

/// <summary>The section's own rule; the shape is checked under the configured schema (<see cref="RecurringSettings.Validate"/>).</summary>
public sealed class ModelOptionsValidator() : SectionValidator<ModelOptions>(ModelOptions.Section)
{
    protected override IEnumerable<string> Rules(ModelOptions options)
    {
        if (options.RowsPerTable < 2) yield return $"RowsPerTable must be at least 2 (row 0 is reserved for a missing value), not {options.RowsPerTable}.";
    }
}

/// <summary>The schema on its own; table sizes that come from Model:RowsPerTable are checked with the model.</summary>
public sealed class FeaturesOptionsValidator() : SectionValidator<FeaturesOptions>(FeaturesOptions.Section)
{
    protected override IEnumerable<string> Rules(FeaturesOptions options) => options.Validate(FeatureSchema.DefaultRows);
}

public sealed class TrainingOptionsValidator() : SectionValidator<TrainingOptions>(TrainingOptions.Section)
{
    protected override IEnumerable<string> Rules(TrainingOptions options)
    {
        if (!DeviceSelection.IsValid(options.Device)) yield return $"Device must be auto, cpu, cuda or cuda:N, not '{options.Device}'.";
        if (options.Threads < 0) yield return $"Threads must be 0 (default) or positive, not {options.Threads}.";
        if (!(options.ClipGradientNorm >= 0) || double.IsInfinity(options.ClipGradientNorm))
            yield return $"ClipGradientNorm must be 0 (off) or a positive number, not {options.ClipGradientNorm}.";
        foreach (var problem in Nested(nameof(options.Optimizer), options.Optimizer.Validate())) yield return problem;
    }
}

public sealed class OfflineOptionsValidator() : SectionValidator<OfflineOptions>(OfflineOptions.Section)
{
    protected override IEnumerable<string> Rules(OfflineOptions options)
    {
        if (!string.IsNullOrEmpty(options.Data) && !File.Exists(options.Data) && !Directory.Exists(options.Data))
            yield return $"Data: '{options.Data}' is neither a file nor a folder.";
        if (!string.IsNullOrEmpty(options.EvalData) && !File.Exists(options.EvalData) && !Directory.Exists(options.EvalData))
            yield return $"EvalData: '{options.EvalData}' is neither a file nor a folder.";
        if (!(options.EvalFraction > 0 && options.EvalFraction < 1))
            yield return $"EvalFraction must lie strictly between 0 and 1, not {options.EvalFraction}.";
        foreach (var problem in Nested(nameof(options.MlpRateBoost), options.MlpRateBoost.Validate())) yield return problem;
        foreach (var problem in Nested(nameof(options.Amgp), options.Amgp.Validate())) yield return problem;
    }
}

public sealed class SyntheticDataOptionsValidator() : SectionValidator<SyntheticDataOptions>(RecurringOptions.SyntheticSection)
{
    protected override IEnumerable<string> Rules(SyntheticDataOptions options) => options.Validate();
}

public sealed class CheckpointOptionsValidator() : SectionValidator<CheckpointOptions>(CheckpointOptions.Section)
{
    protected override IEnumerable<string> Rules(CheckpointOptions options) => options.Validate();
}

public sealed class StreamingOptionsValidator() : SectionValidator<StreamingOptions>(StreamingOptions.Section)
{
    protected override IEnumerable<string> Rules(StreamingOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DeadLetterFile)) yield return "DeadLetterFile must name a file.";
        if (options.QuarantineFile.Length > 0 && string.IsNullOrWhiteSpace(options.QuarantineFile))
            yield return "QuarantineFile must name a file, or be empty for quarantine.jsonl beside DeadLetterFile.";
    }
}

public sealed class TorchOptionsValidator() : SectionValidator<TorchOptions>(TorchOptions.Section)
{
    protected override IEnumerable<string> Rules(TorchOptions options)
    {
        if (options.NativeLibraryDirectory.Length > 0 && !Directory.Exists(options.NativeLibraryDirectory))
            yield return $"NativeLibraryDirectory: '{options.NativeLibraryDirectory}' is not a folder.";
    }
}

/// <summary>The enum binder already rejects an unknown format; nothing else can be wrong.</summary>
public sealed class LogOptionsValidator() : SectionValidator<LogOptions>(LogOptions.Section);

public sealed class AdminOptionsValidator() : SectionValidator<AdminOptions>(AdminOptions.Section)
{
    protected override IEnumerable<string> Rules(AdminOptions options)
    {
        if (!IPAddress.TryParse(options.BindAddress, out _) && options.BindAddress != "localhost")
            yield return $"BindAddress must be an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, not '{options.BindAddress}'.";
        if (options.Port is < 0 or > 65535) yield return $"Port must lie between 0 and 65535, not {options.Port}.";
        if (options.AllowUnauthenticatedLoopback && !options.BindsLoopbackOnly)
            yield return $"AllowUnauthenticatedLoopback needs {Section}:BindAddress to be a loopback address, not '{options.BindAddress}'.";
        if (options.Token.Length is > 0 and < 16) yield return "Token must be at least 16 characters when set.";
        if (!(options.SeriesIntervalSeconds >= 0.05)) yield return $"SeriesIntervalSeconds must be at least 0.05, not {options.SeriesIntervalSeconds}.";
    }
}

public sealed partial class KafkaOptionsValidator() : SectionValidator<KafkaOptions>(KafkaOptions.Section)
{
    /// <summary>librdkafka settings that the options above own, with the reason; setting them in Properties would break an invariant.</summary>
    private static readonly Dictionary<string, string> ReservedProperties = new(StringComparer.Ordinal)
    {
        ["bootstrap.servers"] = $"use {KafkaOptions.Section}:{nameof(KafkaOptions.BootstrapServers)}.",
        ["group.id"] = $"use {KafkaOptions.Section}:{nameof(KafkaOptions.GroupId)}.",
        ["enable.auto.commit"] = "the trainer commits the offsets its checkpoint holds, so a restart resumes exactly there.",
        ["enable.auto.offset.store"] = "the trainer commits the offsets its checkpoint holds, so a restart resumes exactly there.",
    };

    protected override IEnumerable<string> Rules(KafkaOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.BootstrapServers) && options.BootstrapServers.Split(',').FirstOrDefault(s => !IsHostAndPort(s.Trim())) is { } bad)
            yield return $"{nameof(options.BootstrapServers)} must be a comma-separated list of host:port; '{bad.Trim()}' is not.";
        if (TopicProblem(options.Topic) is { } topicProblem)
            yield return $"{nameof(options.Topic)} {topicProblem}";
        if (string.IsNullOrWhiteSpace(options.GroupId))
            yield return $"{nameof(options.GroupId)} must not be empty.";
        foreach (var problem in OutputTopicProblems(options, nameof(options.DeadLetterTopic), options.DeadLetterTopic)) yield return problem;
        foreach (var problem in OutputTopicProblems(options, nameof(options.ModelUpdatesTopic), options.ModelUpdatesTopic)) yield return problem;
        foreach (var key in options.Properties.Keys.Where(ReservedProperties.ContainsKey))
            yield return $"{nameof(options.Properties)}:{key} cannot be set here: {ReservedProperties[key]}";
        if (options.SessionTimeoutMilliseconds < 1)
            yield return $"{nameof(options.SessionTimeoutMilliseconds)} must be positive, not {options.SessionTimeoutMilliseconds}.";
        if (options.MaxPollIntervalMilliseconds < options.SessionTimeoutMilliseconds)
            yield return $"{nameof(options.MaxPollIntervalMilliseconds)} must be at least {nameof(options.SessionTimeoutMilliseconds)} ({options.SessionTimeoutMilliseconds}), not {options.MaxPollIntervalMilliseconds}.";
        if (options.DeliveryTimeoutMilliseconds < 1)
            yield return $"{nameof(options.DeliveryTimeoutMilliseconds)} must be positive, not {options.DeliveryTimeoutMilliseconds}.";
        if (!(options.EmbeddedEventsPerSecond > 0) || double.IsInfinity(options.EmbeddedEventsPerSecond))
            yield return $"{nameof(options.EmbeddedEventsPerSecond)} must be a positive number, not {options.EmbeddedEventsPerSecond}.";
        foreach (var problem in Nested(nameof(options.Retry), options.Retry.Validate())) yield return problem;
    }

    private IEnumerable<string> OutputTopicProblems(KafkaOptions options, string name, string topic)
    {
        if (topic.Length == 0) yield break;
        if (TopicProblem(topic) is { } problem) yield return $"{name} {problem}";
        else if (topic == options.Topic) yield return $"{name} must differ from {Section}:{nameof(options.Topic)} ('{options.Topic}'): the daemon would read its own output.";
    }

    /// <summary>Kafka's own rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".</summary>
    private static string? TopicProblem(string topic) =>
        string.IsNullOrEmpty(topic) ? "must not be empty."
        : topic.Length > 249 || topic is "." or ".." || !TopicName().IsMatch(topic)
            ? $"'{topic}' is not a valid topic name (1 to 249 of letters, digits, '.', '_', '-'; not '.' or '..')."
            : null;

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex TopicName();

    private static bool IsHostAndPort(string server)
    {
        int colon = server.LastIndexOf(':');
        return colon > 0 && int.TryParse(server.AsSpan(colon + 1), out int port) && port is > 0 and <= 65535;
    }
}
