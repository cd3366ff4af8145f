using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Cli;

/// <summary>
/// `recurring run`: the daemon. Offline AMGP training (unless a checkpoint says it is done), then recurring training
/// from Kafka, with the admin port up throughout. In the Development environment, without Kafka:BootstrapServers, it runs
/// the embedded broker.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var duration = CommonOptions.Duration("--duration", "Stop gracefully after this long; default: until stopped");
        var command = new Command("run", "Run the daemon: offline AMGP phase, then streaming training from Kafka, with the admin HTTP port.") { duration };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var app = Hosting.DaemonHost.TryBuild(CommonOptions.ConfigurationOverrides(result), Console.Error);
            if (app is null) return CommandSettings.InvalidConfiguration;
            await using (app)
            {
                var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
                // The host's own start lines (environment, content root, "Press Ctrl+C") are switched off: this one says it all.
                var kafka = app.Services.GetRequiredService<KafkaOptions>();
                lifetime.ApplicationStarted.Register(() => Console.WriteLine(
                    $"Recurring is running ({app.Environment.EnvironmentName} environment, Kafka: {(kafka.UsesEmbeddedBroker ? "embedded broker" : kafka.BootstrapServers)}). " +
                    $"Admin: {string.Join(", ", app.Urls)} (/status, /metrics, /health/ready). Ctrl-C stops after a final checkpoint."));
                if (result.GetValue(duration) is { } limit)
                    _ = Task.Delay(limit, lifetime.ApplicationStopping).ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
                try
                {
                    await app.RunAsync(cancellationToken);
                }
                catch (IOException e) when (e.InnerException is AddressInUseException)
                {
                    Console.Error.WriteLine($"error: {e.Message} Stop what holds it, or set Admin:Port or Admin:BindAddress.");
                    return CommandSettings.InvalidConfiguration;
                }
            }
            return Environment.ExitCode;
        });
        return command;
    }
}
