using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// The configuration every command reads, lowest precedence first: appsettings.json next to the executable,
/// appsettings.{DOTNET_ENVIRONMENT}.json, the JSON file given with --config FILE, RECURRING_-prefixed environment
/// variables (Section__Key), then command-line overrides (--Section:Key=value).
/// </summary>
public static class RecurringConfiguration
{
    public const string EnvironmentPrefix = "RECURRING_";

    /// <summary>The command-line option naming a JSON configuration file layered over appsettings.json.</summary>
    public const string ConfigFileOption = "--config";

    /// <param name="overrides">The command line's configuration part: --Section:Key=value overrides, and
    /// <c>--config FILE</c> (or <c>--config=FILE</c>) at most once.</param>
    public static IConfigurationBuilder AddRecurringSources(this IConfigurationBuilder builder, string environmentName, IEnumerable<string> overrides)
    {
        var (configFile, keyValues) = SplitConfigFile(overrides.ToArray());
        builder.SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: false, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environmentName}.json", optional: true, reloadOnChange: false);
        // Also honour an overlay in the working directory (the systemd unit and the container mount one there).
        if (!string.Equals(Path.GetFullPath(Directory.GetCurrentDirectory()).TrimEnd('/'), AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal))
            builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), $"appsettings.{environmentName}.json"), optional: true, reloadOnChange: false);
        if (configFile is not null) builder.AddJsonFile(configFile, optional: false, reloadOnChange: false);
        builder.Add(new EnvironmentVariablesSource());
        return builder.AddCommandLine(keyValues);
    }

    /// <summary>Takes <c>--config FILE</c> out of the overrides; the file must exist (its full path is returned).</summary>
    private static (string? File, string[] KeyValues) SplitConfigFile(string[] overrides)
    {
        string? file = null;
        var rest = new List<string>(overrides.Length);
        for (int i = 0; i < overrides.Length; i++)
        {
            string? given = null;
            if (overrides[i] == ConfigFileOption)
            {
                if (i + 1 >= overrides.Length) throw new ArgumentException($"{ConfigFileOption} needs a file name.");
                given = overrides[++i];
            }
            else if (overrides[i].StartsWith(ConfigFileOption + "=", StringComparison.Ordinal))
            {
                given = overrides[i][(ConfigFileOption.Length + 1)..];
            }
            if (given is null)
            {
                rest.Add(overrides[i]);
                continue;
            }
            if (file is not null) throw new ArgumentException($"{ConfigFileOption} may be given once, not for both '{file}' and '{given}'.");
            file = Path.GetFullPath(given);
            if (!File.Exists(file)) throw new FileNotFoundException($"{ConfigFileOption} {given}: there is no such file.", file);
        }
        return (file, rest.ToArray());
    }

    public static string EnvironmentName =>
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";

    public static IConfiguration Build(IEnumerable<string>? overrides = null) =>
        new ConfigurationBuilder().AddRecurringSources(EnvironmentName, overrides ?? []).Build();

    /// <summary>The RECURRING_ variables, told apart from the host's DOTNET_ ones when <see cref="ConfigurationKeys"/> judges keys.</summary>
    internal sealed class EnvironmentVariablesProvider() : EnvironmentVariablesConfigurationProvider(EnvironmentPrefix);

    private sealed class EnvironmentVariablesSource : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new EnvironmentVariablesProvider();
    }
}
