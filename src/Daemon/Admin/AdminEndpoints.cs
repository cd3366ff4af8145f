using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Recurring.Checkpointing;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Hosting;

namespace Recurring.Daemon.Admin;

/// <summary>The admin port's routes: health, metrics, status, checkpoints, pause and resume.</summary>
public static class AdminEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app, RecurringMetrics metrics)
    {
        // Alive as long as the process answers; nothing it depends on is checked.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealth });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteHealth });
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapGet("/status", (DaemonStatus status, RecurringSettings settings, KafkaConnection kafka) => Results.Json(StatusDocument.Of(status, settings, kafka)));
        app.MapGet("/checkpoints", async (RecurringSettings settings, bool? verify, CancellationToken cancellationToken) =>
        {
            var manager = CheckpointManager.ForDirectory(settings.Checkpoints);
            var list = await manager.ListAsync(hashContents: verify ?? false, cancellationToken);
            return Results.Json(list.Select(c => new
            {
                c.Id,
                c.CreatedUtc,
                c.Pinned,
                valid = c.IsValid,
                contentsHashed = verify ?? false,
                c.Problem,
                phase = c.Manifest?.Phase.Kind.ToString(),
                step = c.Manifest?.Counters.Steps,
                bytes = c.Manifest?.FileBytes,
            }));
        });

        var control = app.MapGroup("").AddEndpointFilter<AdminTokenFilter>();
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
