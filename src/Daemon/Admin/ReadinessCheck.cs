using Microsoft.Extensions.Diagnostics.HealthChecks;
using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Admin;

/// <summary>
/// Ready means: the model is loaded, the trainer is streaming, the brokers answer, and the last checkpoint is
/// younger than Admin:ReadyMaxCheckpointAgeSeconds. The offline phase is not ready (liveness still passes).
/// </summary>
public sealed class ReadinessCheck(DaemonStatus status, AdminOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = status.Current;
        var problems = new List<string>();
        if (!s.ModelLoaded) problems.Add("model not loaded");
        if (s.Phase != DaemonPhase.Streaming) problems.Add($"phase is {s.Phase.ToString().ToLowerInvariant()}, not streaming");
        else if (!s.TrainerRunning) problems.Add("trainer not running");
        if (s.Phase == DaemonPhase.Streaming && !s.KafkaReachable) problems.Add($"Kafka unreachable{(s.KafkaError is null ? "" : $": {s.KafkaError}")}");
        if (s.Phase == DaemonPhase.Streaming && status.CheckpointAgeSeconds(s) is { } age && age > options.ReadyMaxCheckpointAgeSeconds)
            problems.Add($"last checkpoint is {age:F0} s old (limit {options.ReadyMaxCheckpointAgeSeconds} s)");
        var data = new Dictionary<string, object> { ["phase"] = s.Phase.ToString().ToLowerInvariant() };
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("streaming", data)
            : HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data));
    }
}
