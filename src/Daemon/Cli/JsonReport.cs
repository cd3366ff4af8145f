using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recurring.Daemon.Cli;

/// <summary>
/// The --json contract: a command that reports figures ends its output with exactly one JSON object, on one line,
/// so scripts can take the last line.
/// </summary>
public static class JsonReport
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static void Write(TextWriter output, object report) => output.WriteLine(JsonSerializer.Serialize(report, report.GetType(), Options));
}
