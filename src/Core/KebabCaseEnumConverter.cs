using System.ComponentModel;
using System.Globalization;

namespace Recurring.Core;

/// <summary>
/// Lets configuration and command lines spell enum values in kebab case ("prune-only") as well as in PascalCase,
/// case-insensitively, and names the accepted values when a value does not parse.
/// </summary>
public sealed class KebabCaseEnumConverter<T> : EnumConverter where T : struct, Enum
{
    public KebabCaseEnumConverter() : base(typeof(T))
    {
    }

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is string text)
        {
            if (TryParse(text, out var parsed)) return parsed;
            throw new FormatException($"'{text}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(ToKebabCase))}.");
        }
        return base.ConvertFrom(context, culture, value)!;
    }

    public static bool TryParse(string text, out T value) =>
        Enum.TryParse(text.Replace("-", "", StringComparison.Ordinal).Trim(), ignoreCase: true, out value) && Enum.IsDefined(value);

    public static string ToKebabCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
