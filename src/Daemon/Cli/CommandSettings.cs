using System.CommandLine;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Cli;

/// <summary>Loads and validates configuration for a command; one line per invalid key on failure.</summary>
public static class CommandSettings
{
    public const int InvalidConfiguration = 2;

    /// <summary>
    /// Runs a command body, turning the errors a user can fix (bad values, missing or malformed files) into one
    /// line and exit code 2 instead of a stack trace. Anything else is a bug and propagates.
    /// </summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserFixable(e))
        {
            return Report(e);
        }
    }

    /// <inheritdoc cref="Guard"/>
    /// <param name="error">Where the line goes: the invocation's error writer where the command has one; stderr by default.</param>
    public static async Task<int> GuardAsync(Func<Task<int>> body, TextWriter? error = null)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (IsUserFixable(e))
        {
            return Report(e, error);
        }
    }

    private static bool IsUserFixable(Exception e) =>
        e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException;

    private static int Report(Exception e, TextWriter? error = null)
    {
        (error ?? Console.Error).WriteLine($"error: {e.Message}");
        return InvalidConfiguration;
    }

    public static RecurringSettings? Load(ParseResult result, IEnumerable<string>? extraOverrides = null)
    {
        var configuration = RecurringConfiguration.Build([.. extraOverrides ?? [], .. CommonOptions.ConfigurationOverrides(result)]);
        return RecurringSettings.TryLoad(configuration, result.InvocationConfiguration.Error);
    }
}
