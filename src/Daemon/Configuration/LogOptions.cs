using System.ComponentModel;
using Recurring.Core;

namespace Recurring.Daemon.Configuration;

[TypeConverter(typeof(KebabCaseEnumConverter<LogFormat>))]
public enum LogFormat
{
    /// <summary>One readable line per event.</summary>
    Text,

    /// <summary>Serilog's compact JSON, one object per line, for log pipelines.</summary>
    Json,
}

/// <summary>
/// Section "Log": the console format. Levels and extra sinks stay in the "Serilog" section; the console sink is
/// set up here because configuration merges sink arguments across files, so an overlay could not swap a text
/// template for a JSON formatter.
/// </summary>
public sealed class LogOptions
{
    public const string Section = "Log";
    public const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public LogFormat Format { get; set; } = LogFormat.Text;
}
