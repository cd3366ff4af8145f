using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recurring.Daemon.Admin;
using Recurring.Daemon.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Recurring.Daemon.Hosting;

/// <summary>Builds the daemon: configuration, logging, the training service and the admin port, each wired once.</summary>
public static class DaemonHost
{
    /// <summary>Longer than a checkpoint of a large model takes, so a stop always ends with one.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(570);

    /// <summary>
    /// Binds and validates every section first; returns null after writing one line per invalid key to
    /// <paramref name="errors"/>, before anything (a checkpoint folder, a port, a broker) was touched.
    /// </summary>
    public static WebApplication? TryBuild(IReadOnlyList<string> overrides, TextWriter errors)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = RecurringConfiguration.EnvironmentName,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddEnvironmentVariables("DOTNET_") // host settings such as shutdownTimeoutSeconds
            .AddRecurringSources(builder.Environment.EnvironmentName, overrides);

        if (RecurringSettings.TryLoad(builder.Configuration, errors) is not { } settings) return null;

        var services = builder.Services;
        services.AddSerilog((_, logging) =>
        {
            logging.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
            if (settings.Log.Format == LogFormat.Json) logging.WriteTo.Console(new CompactJsonFormatter());
            else logging.WriteTo.Console(outputTemplate: LogOptions.TextTemplate);
        });
        services.AddSystemd();
        services.Configure<HostOptions>(options =>
        {
            options.ShutdownTimeout = builder.Configuration.GetValue<int?>("shutdownTimeoutSeconds") is { } seconds
                ? TimeSpan.FromSeconds(seconds)
                : DefaultShutdownTimeout;
            options.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = settings.Admin.BindAddress == "localhost" ? IPAddress.Loopback : IPAddress.Parse(settings.Admin.BindAddress);
            kestrel.Listen(address, settings.Admin.Port);
        });

        services.AddSingleton(settings);
        services.AddSingleton(settings.Admin);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DaemonStatus>();
        services.AddSingleton<TrainingControl>();
        services.AddSingleton<KafkaConnection>();
        services.AddSingleton<RecurringMetrics>();
        services.AddSingleton<AdminTokenFilter>();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("training", tags: [AdminEndpoints.ReadyTag]);
        services.AddHostedService<TrainingService>();
        services.AddHostedService<ProgressReporter>();

        var app = builder.Build();
        app.UseSerilogRequestLogging(options =>
        {
            // Probes and scrapes arrive every few seconds; only control calls and errors deserve Information.
            options.GetLevel = (http, _, error) =>
                http.Request.Path.StartsWithSegments("/health") && error is null ? LogEventLevel.Debug
                : error is not null || http.Response.StatusCode >= 500 ? LogEventLevel.Error
                : HttpMethods.IsPost(http.Request.Method) ? LogEventLevel.Information
                : LogEventLevel.Debug;
        });
        app.MapAdminEndpoints(app.Services.GetRequiredService<RecurringMetrics>());
        return app;
    }
}
