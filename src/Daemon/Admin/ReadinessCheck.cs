using Microsoft.Extensions.Diagnostics.HealthChecks;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Admin;

/// <summary>
/// Ready means: the model is loaded, the trainer is streaming and has not paused itself (checkpoints failing,
/// non-finite batches), the brokers answer, nothing trained has waited longer than Admin:ReadyMaxCheckpointAgeSeconds
/// for a checkpoint, and (with Checkpoints:Remote) no checkpoint has waited longer than Checkpoints:Remote:MaxLagSeconds
/// for its remote copy. The offline phase is not ready (liveness still passes). Measured from the training itself, not
/// from the last checkpoint's age: on an idle topic, or while an operator paused consumption, there is nothing to
/// checkpoint, and the daemon stays ready however old its last checkpoint is.
/// </summary>
public sealed class ReadinessCheck(DaemonStatus status, AdminOptions options, CheckpointReplicator? replicator = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = status.Snapshot();
        var problems = Problems(s);
        var data = new Dictionary<string, object> { ["phase"] = s.Activity.Activity.ToString().ToLowerInvariant() };
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("streaming", data)
            : HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data));
    }

    /// <summary>Why the snapshot is not ready; empty when it is (also what recurring_ready reports).</summary>
    public IReadOnlyList<string> Problems(StatusSnapshot s)
    {
        var activity = s.Activity;
        bool streaming = activity.Activity == DaemonActivity.Streaming;
        var problems = new List<string>();
        if (!activity.ModelLoaded) problems.Add("model not loaded");
        if (!streaming) problems.Add($"phase is {activity.Activity.ToString().ToLowerInvariant()}, not streaming");
        else if (!activity.TrainerRunning) problems.Add("trainer not running");
        if (streaming && s.Streaming.PausedReason is { } paused) problems.Add($"training paused: {paused}");
        if (streaming && !s.Reader.Reachable) problems.Add($"Kafka unreachable{(s.Reader.Error is null ? "" : $": {s.Reader.Error}")}");
        if (streaming && s.Streaming.UncheckpointedSinceUtc is { } since && (s.TakenUtc - since).TotalSeconds is var waited &&
            waited > options.ReadyMaxCheckpointAgeSeconds)
            problems.Add($"events trained {waited:F1} s ago are in no checkpoint yet (limit {options.ReadyMaxCheckpointAgeSeconds} s)");
        if (replicator is { IsWithinMaxLag: false })
            problems.Add($"a checkpoint has waited {replicator.Lag.TotalSeconds:F0} s for its remote copy (limit {replicator.MaxLag.TotalSeconds:F0} s)");
        return problems;
    }
}

/// <summary>
/// Alive means the training loop moves: its <see cref="Heartbeat"/> beat within Admin:LivenessTimeoutSeconds. A wedged
/// trainer (a write that never returns) fails it, so the orchestrator restarts the process, which resumes from the last
/// checkpoint. Nothing the loop waits for (the brokers, a paused reader, an empty topic) stops the beat.
/// </summary>
public sealed class LivenessCheck(Heartbeat heartbeat, AdminOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var silence = heartbeat.Silence;
        return Task.FromResult(silence.TotalSeconds <= options.LivenessTimeoutSeconds
            ? HealthCheckResult.Healthy($"the training loop moved {silence.TotalSeconds:F1} s ago")
            : HealthCheckResult.Unhealthy($"the training loop has not moved for {silence.TotalSeconds:F1} s (limit {options.LivenessTimeoutSeconds} s)"));
    }
}
