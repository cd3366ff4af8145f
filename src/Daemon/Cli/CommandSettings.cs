using System.CommandLine;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Cli;

/// <summary>Loads and validates configuration for a command; one line per invalid key on failure.</summary>
public static class CommandSettings
{
    public const int InvalidConfiguration = 2;

    public static RecurringSettings? Load(ParseResult result, IEnumerable<string>? extraOverrides = null)
    {
        var configuration = RecurringConfiguration.Build([.. extraOverrides ?? [], .. CommonOptions.ConfigurationOverrides(result)]);
        RecurringSettings settings;
        try
        {
            settings = RecurringSettings.Bind(configuration);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the type it could not convert to.
            Console.Error.WriteLine($"configuration error: {e.Message}");
            return null;
        }
        var errors = settings.Validate();
        if (errors.Count == 0) return settings;
        foreach (var error in errors) Console.Error.WriteLine($"configuration error: {error}");
        return null;
    }
}
