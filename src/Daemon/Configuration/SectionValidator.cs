using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// Validates one configuration section: the DataAnnotations on its properties, then the rules only code can state.
/// Both give problems relative to the section ("BatchSize must be at least 1, not 0."); the section is prefixed here
/// and nowhere else, so every problem is one line naming its full key.
/// </summary>
public abstract class SectionValidator<T>(string section) : IValidateOptions<T> where T : class
{
    public string Section => section;

    /// <summary>One line per problem, each starting with its full key ("Training:BatchSize must ..."); empty when usable.</summary>
    public IReadOnlyList<string> Problems(T options) => [.. Annotated(options).Concat(Rules(options)).Select(problem => $"{section}:{problem}")];

    public ValidateOptionsResult Validate(string? name, T options) =>
        Problems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>Problems the attributes cannot express, each starting with the key relative to the section.</summary>
    protected virtual IEnumerable<string> Rules(T options) => [];

    /// <summary>Problems of a nested object, whose own validation names keys relative to it.</summary>
    protected static IEnumerable<string> Nested(string property, IEnumerable<string> problems) => problems.Select(problem => $"{property}:{problem}");

    private static IEnumerable<string> Annotated(T options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(result => $"{result.MemberNames.Single()} {result.ErrorMessage}");
    }
}

/// <summary>A whole number with a lower bound, reported as "must be at least 1, not 0.".</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AtLeastAttribute(long minimum) : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) >= minimum
            ? ValidationResult.Success
            : new ValidationResult($"must be at least {minimum}, not {value}.", [validationContext.MemberName!]);
}
