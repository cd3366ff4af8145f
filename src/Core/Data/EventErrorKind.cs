namespace Recurring.Core.Data;

/// <summary>
/// Why an event was rejected, whatever its format. Dead-letter kinds and metric labels are these names in kebab case
/// ("wrong-field-count", "malformed-json"): alerts and dashboards filter by them, so a member is never renamed.
/// </summary>
public enum EventErrorKind
{
    /// <summary>A Criteo TSV line does not have exactly 40 tab-separated fields (an empty line has one).</summary>
    WrongFieldCount,

    /// <summary>The label is not 0 or 1 (TSV: exactly "0" or "1"; JSON: 0, 1, true, false, "0" or "1").</summary>
    BadLabel,

    /// <summary>A dense value is neither missing nor an invariant-culture number (a JSON string that is not a number).</summary>
    NonNumericDense,

    /// <summary>A dense value is NaN or infinite, as written or after overflow (e.g. "1e999").</summary>
    NonFiniteDense,

    /// <summary>A Criteo categorical field is neither empty nor 1 to 16 hexadecimal digits.</summary>
    NonHexCategorical,

    /// <summary>A line of a file is longer than the reader's limit; it was skipped unread.</summary>
    LineTooLong,

    /// <summary>A message longer than Streaming:MaxMessageBytes: never parsed, only its first bytes kept.</summary>
    MessageTooLarge,

    /// <summary>Not one well-formed JSON object in UTF-8: truncated, garbage, another JSON value, nesting too deep, a broken escape.</summary>
    MalformedJson,

    /// <summary>A JSON event without its label, or with a null one.</summary>
    MissingLabel,

    /// <summary>A JSON value of a type its feature cannot take: a boolean, object or array for a dense feature; a fraction, boolean, object or nested array for a sparse one.</summary>
    WrongType,

    /// <summary>A sparse integer outside -2^63 .. 2^64 - 1, which no 64-bit id holds.</summary>
    IntegerOutOfRange,

    /// <summary>More than one value (a JSON array) for a single-valued sparse feature.</summary>
    TooManyValues,
}
