using Microsoft.Extensions.Configuration;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// The configuration every command reads, lowest precedence first: appsettings.json next to the executable,
/// appsettings.{DOTNET_ENVIRONMENT}.json, RECURRING_-prefixed environment variables (Section__Key), then
/// command-line overrides (--Section:Key=value).
/// </summary>
public static class RecurringConfiguration
{
    public const string EnvironmentPrefix = "RECURRING_";

    public static IConfigurationBuilder AddRecurringSources(this IConfigurationBuilder builder, string environmentName, IEnumerable<string> overrides)
    {
        builder.SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: false, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environmentName}.json", optional: true, reloadOnChange: false);
        // Also honour an overlay in the working directory (the systemd unit and the container mount one there).
        if (!string.Equals(Path.GetFullPath(Directory.GetCurrentDirectory()).TrimEnd('/'), AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal))
            builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), $"appsettings.{environmentName}.json"), optional: true, reloadOnChange: false);
        return builder
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(overrides.ToArray());
    }

    public static string EnvironmentName =>
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";

    public static IConfiguration Build(IEnumerable<string>? overrides = null) =>
        new ConfigurationBuilder().AddRecurringSources(EnvironmentName, overrides ?? []).Build();
}
