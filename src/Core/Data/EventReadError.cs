namespace Recurring.Core.Data;

/// <summary>
/// A rejected record of a file: its 1-based number there (a line, or a Parquet row), why, and <see cref="Reason"/>,
/// one short line safe for logs and message headers.
/// </summary>
public readonly record struct EventReadError(long Record, EventErrorKind Kind, string Reason);
