namespace Recurring.Core.Data;

/// <summary>A rejected line. <see cref="Reason"/> is one short line, safe for logs and message headers.</summary>
public readonly record struct CriteoParseError(long LineNumber, CriteoErrorKind Kind, string Reason);
