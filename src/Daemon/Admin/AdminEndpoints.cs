using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Recurring.Checkpointing;
using Recurring.Daemon.Checkpoints;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;

namespace Recurring.Daemon.Admin;

/// <summary>The admin port's routes: the live page, health, metrics, status, checkpoints, pause and resume.</summary>
public static class AdminEndpoints
{
    public const string ReadyTag = "ready";
    public const string LiveTag = "live";

    /// <summary>Metrics, readiness and the token authentication the control routes need.</summary>
    public static IServiceCollection AddRecurringAdmin(this IServiceCollection services)
    {
        services.AddSingleton<RecurringMetrics>();
        services.AddSingleton<ICheckpointObserver>(provider => provider.GetRequiredService<RecurringMetrics>());
        services.AddAdminAuthentication();
        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("training", tags: [ReadyTag])
            .AddCheck<LivenessCheck>("heartbeat", tags: [LiveTag]);
        services.AddLivePage();
        return services;
    }

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var metrics = app.ServiceProvider.GetRequiredService<RecurringMetrics>();
        // Alive as long as the training loop moves; nothing it depends on (the brokers, the disk) is checked.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag), ResponseWriter = WriteHealth });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteHealth });
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapLivePage();
        app.MapGet("/status", (DaemonStatus status, RecurringSettings settings, KafkaEndpoint kafka) =>
            Results.Json(StatusDocument.Of(status.Snapshot(), settings, kafka)));
        // Hashing every checkpoint reads gigabytes: behind the token, and one at a time, so nobody can keep the disk busy.
        var verifying = new SemaphoreSlim(1, 1);
        app.MapGet("/checkpoints", async (HttpContext context, CheckpointManager manager, bool? verify, CancellationToken cancellationToken) =>
        {
            if (verify != true) return CheckpointList(await manager.ListAsync(hashContents: false, cancellationToken), hashed: false);
            if (!(await context.AuthenticateAsync(AdminAuthentication.Scheme)).Succeeded) return Results.Challenge(authenticationSchemes: [AdminAuthentication.Scheme]);
            if (!await verifying.WaitAsync(TimeSpan.Zero, cancellationToken))
                return Results.Problem("Another GET /checkpoints?verify=true is hashing the checkpoints; try again when it is done.", statusCode: StatusCodes.Status409Conflict);
            try
            {
                return CheckpointList(await manager.ListAsync(hashContents: true, cancellationToken), hashed: true);
            }
            finally
            {
                verifying.Release();
            }
        });

        var control = app.MapGroup("").RequireAuthorization(AdminAuthentication.ControlPolicy);
        control.MapPost("/checkpoints", async (TrainingControl training, CancellationToken cancellationToken) =>
            await Attempt(async () =>
            {
                var info = await training.CheckpointNowAsync(cancellationToken);
                return Results.Json(new { info.Id, info.Bytes, seconds = info.Duration.TotalSeconds, info.BytesPerSecond });
            }));
        control.MapPost("/pause", (TrainingControl training) => Attempt(() =>
        {
            training.Pause();
            return Task.FromResult(Results.Json(new { paused = true }));
        }));
        control.MapPost("/resume", (TrainingControl training) => Attempt(() =>
        {
            training.Resume();
            return Task.FromResult(Results.Json(new { paused = false }));
        }));
        return app;
    }

    private static IResult CheckpointList(IReadOnlyList<CheckpointStatus> list, bool hashed) =>
        Results.Json(list.Select(c => new
            {
                c.Id,
                c.CreatedUtc,
                c.Pinned,
                valid = c.IsValid,
                contentsHashed = hashed,
                c.Problem,
                phase = c.Manifest?.Stage.Kind.ToString(),
                step = c.Manifest?.Counters.Steps,
                bytes = c.Manifest?.FileBytes,
                metrics = c.Manifest?.Metrics,
            }));

    private static async Task<IResult> Attempt(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (NotNowException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status409Conflict);
        }
        catch (CheckpointException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description, e.Value.Data }),
        }));
    }
}
