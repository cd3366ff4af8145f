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
    /// <param name="environmentName">The host environment; by default DOTNET_ENVIRONMENT's (see <see cref="RecurringConfiguration.EnvironmentName"/>).</param>
    public static WebApplication? TryBuild(IReadOnlyList<string> overrides, TextWriter errors, string? environmentName = null)
    {
        var environment = environmentName ?? RecurringConfiguration.EnvironmentName;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = environment,
        });
        builder.Configuration.Sources.Clear();
        try
        {
            builder.Configuration
                .AddEnvironmentVariables("DOTNET_") // host settings such as shutdownTimeoutSeconds
                .AddRecurringSources(environment, overrides);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            // --config naming no file, or a file that is not JSON (the host's configuration loads it right away; the
            // innermost error says where the JSON breaks).
            var cause = e.GetBaseException();
            errors.WriteLine($"configuration error: {e.Message}{(cause == e ? "" : " " + cause.Message)}");
            return null;
        }

        if (RecurringSettings.TryLoad(builder.Configuration, errors, s => s.Kafka.DaemonProblems(environment)) is not { } settings) return null;
        // The embedded broker is Development's default without brokers (`dotnet run` in the repository, through
        // src/Daemon/Properties/launchSettings.json); made explicit here, so every part of the daemon sees one choice.
        if (settings.Kafka.EmbeddedByDefault(environment))
            builder.Configuration.AddInMemoryCollection([new($"{KafkaOptions.Section}:{nameof(KafkaOptions.Embedded)}", "true")]);

        var services = builder.Services;
        services.AddSerilog((_, logging) =>
        {
            logging.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
            if (settings.Log.Format == LogFormat.Json) logging.WriteTo.Console(new CompactJsonFormatter());
            else logging.WriteTo.Console(outputTemplate: LogOptions.TextTemplate);
        });
        services.AddSystemd();
        // `recurring run` prints one start line of its own with the environment and the admin address.
        services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.WebHost.SuppressStatusMessages(true);
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

        services.AddRecurring(builder.Configuration);
        services.AddRecurringAdmin();
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
        app.UseAdminAuthentication();
        app.MapAdminEndpoints();
        return app;
    }
}
