using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Status;

namespace Recurring.Daemon.Admin;

/// <summary>
/// The page at / on the admin port: static files embedded in the assembly (no CDN, works offline) that chart
/// <c>GET /api/series</c>, the samples of a <see cref="TimeSeriesRing{T}"/> the daemon keeps of its own status.
/// Reading is open like /status; the page's control buttons call the token-guarded routes.
/// </summary>
public static class LivePage
{
    private const string ResourcePrefix = "LivePage/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [""] = "text/plain; charset=utf-8",
    };

    /// <summary>The ring (Admin:SeriesCapacity samples) and its sampler (every Admin:SeriesIntervalSeconds).</summary>
    public static IServiceCollection AddLivePage(this IServiceCollection services)
    {
        services.AddSingleton(provider => new TimeSeriesRing<SeriesPoint>(provider.GetRequiredService<AdminOptions>().SeriesCapacity));
        services.AddHostedService(provider =>
        {
            var status = provider.GetRequiredService<DaemonStatus>();
            var interval = TimeSpan.FromSeconds(provider.GetRequiredService<AdminOptions>().SeriesIntervalSeconds);
            return new SeriesSampler<SeriesPoint>(provider.GetRequiredService<TimeSeriesRing<SeriesPoint>>(),
                () => SeriesPoint.Of(status.Snapshot()), interval, status.Time);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapLivePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/ui/{**path}", (string path) => Asset(path));
        app.MapGet("/api/series", (TimeSeriesRing<SeriesPoint> ring, AdminOptions options, TimeProvider time, string? since) =>
        {
            if (!TryParseSince(since, out var after))
                return Results.Problem($"since must be a Unix time in milliseconds, not '{since}'.", statusCode: StatusCodes.Status400BadRequest);
            return Results.Json(new
            {
                now = time.GetUtcNow().ToUnixTimeMilliseconds(),
                intervalSeconds = options.SeriesIntervalSeconds,
                points = ring.Since(after).Select(sample => new { t = sample.At.ToUnixTimeMilliseconds(), sample.Value }),
            });
        });
        return app;
    }

    private static bool TryParseSince(string? since, out DateTimeOffset? after)
    {
        after = null;
        if (string.IsNullOrEmpty(since)) return true;
        if (!long.TryParse(since, out long milliseconds) || milliseconds < 0) return false;
        after = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return true;
    }

    private static IResult Asset(string path)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + path);
        if (stream is null) return Results.NotFound();
        var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
        return Results.Stream(stream, type);
    }
}
