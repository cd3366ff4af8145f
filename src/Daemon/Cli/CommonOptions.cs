using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Cli;

/// <summary>Options shared by several commands, so each is spelled, described and checked once.</summary>
public static class CommonOptions
{
    /// <summary>The argument that holds a command's configuration overrides (see <see cref="AcceptConfigurationOverrides"/>).</summary>
    public const string OverridesName = "--Section:Key=value";

    private const string OptionPrefix = "--";

    public static Option<bool> Json() => new("--json") { Description = "End the output with one JSON object holding the figures." };

    /// <summary>Accepted by every command (recursive on the root command).</summary>
    public static readonly Option<string?> ConfigFile = new(RecurringConfiguration.ConfigFileOption)
    {
        Description = "A JSON configuration file layered over appsettings.json (environment variables and --Section:Key=value still win).",
        Recursive = true,
    };

    /// <summary>A duration option read by <see cref="Durations"/>: one line naming the option for anything else.</summary>
    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = $"{description} ({Durations.Syntax}).",
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            var duration = Durations.TryParse(text, name, out var error);
            if (error is not null) result.AddError(error);
            return duration;
        },
    };

    /// <summary>Refuses values of <paramref name="option"/> outside [<paramref name="minimum"/>, <paramref name="maximum"/>] with one line.</summary>
    public static Option<T> InRange<T>(this Option<T> option, T minimum, T maximum) where T : struct, INumber<T> =>
        Checked(option, value => value, minimum, maximum);

    /// <inheritdoc cref="InRange{T}(Option{T}, T, T)"/>
    public static Option<T?> InRange<T>(this Option<T?> option, T minimum, T maximum) where T : struct, INumber<T> =>
        Checked(option, value => value, minimum, maximum);

    private static Option<TValue> Checked<TValue, T>(Option<TValue> option, Func<TValue, T?> number, T minimum, T maximum) where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || ConvertedValue<TValue>(result) is not { } value || number(value) is not { } n) return;
            if (T.IsNaN(n) || n < minimum || n > maximum)
                result.AddError($"{option.Name} must lie between {Format(minimum)} and {Format(maximum)}, not {result.Tokens[0].Value}.");
        });
        return option;
    }

    /// <summary>The option's value, or null when it did not convert: that is a parse error of its own already.</summary>
    private static TValue? ConvertedValue<TValue>(OptionResult result)
    {
        try
        {
            return result.GetValueOrDefault<TValue>();
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    private static string Format<T>(T value) where T : INumber<T> => value.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>
    /// Gives <paramref name="command"/> its configuration overrides as a declared argument, so `--help` explains them
    /// and anything that is neither one of its options nor an override (a typo, a stray word) fails the parse.
    /// </summary>
    public static void AcceptConfigurationOverrides(Command command)
    {
        var overrides = new Argument<string[]>(OverridesName)
        {
            Description = "Configuration overrides after the command's options, e.g. --Training:Device=cpu --Kafka:Topic=clicks; " +
                          "they win over appsettings.json and RECURRING_ environment variables (RECURRING_Kafka__Topic=clicks).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        overrides.Validators.Add(result =>
        {
            if (UnknownOptionProblem(result.Tokens.Select(t => t.Value).ToArray(), command) is { } problem) result.AddError(problem);
        });
        command.Arguments.Add(overrides);
        command.TreatUnmatchedTokensAsErrors = true;
    }

    /// <summary>The configuration overrides given after the command's options; they win over appsettings.json and RECURRING_ variables.</summary>
    /// <remarks>With <c>--config FILE</c> first, when given: it is layered under the overrides.</remarks>
    public static IReadOnlyList<string> ConfigurationOverrides(ParseResult result)
    {
        string[] overrides = result.CommandResult.Command.Arguments.Any(a => a.Name == OverridesName) ? result.GetValue<string[]>(OverridesName) ?? [] : [];
        return result.GetValue(ConfigFile) is { } file ? [RecurringConfiguration.ConfigFileOption, file, .. overrides] : overrides;
    }

    /// <summary>
    /// The first token that is neither an option of the command nor a configuration override (--Section:Key=value,
    /// or --Section:Key followed by its value), as one line naming the closest real option; null when there is none.
    /// </summary>
    private static string? UnknownOptionProblem(IReadOnlyList<string> tokens, Command command)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (IsConfigurationOverride(token))
            {
                if (!token.Contains('=')) i++; // the value follows as the next token
                continue;
            }
            if (!token.StartsWith('-')) return $"unexpected argument '{token}' for {command.Name}.";
            var name = token.Split('=')[0];
            var options = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
            return ClosestMatch.Find(name, options) is { } suggestion
                ? $"unknown option {name} for {command.Name} (did you mean {suggestion}?)"
                : $"unknown option {name} for {command.Name}; configuration overrides take the form --Section:Key=value.";
        }
        return null;
    }

    private static bool IsConfigurationOverride(string token) =>
        token.StartsWith(OptionPrefix, StringComparison.Ordinal) && token[OptionPrefix.Length..].Split('=')[0].Contains(':');
}
