namespace Recurring.Core.Data;

/// <summary>Why a Criteo TSV line was rejected.</summary>
public enum CriteoErrorKind
{
    /// <summary>The line does not have exactly 40 tab-separated fields (an empty line has one).</summary>
    WrongFieldCount,

    /// <summary>The label is not exactly "0" or "1".</summary>
    BadLabel,

    /// <summary>A dense field is neither empty nor an invariant-culture number.</summary>
    NonNumericDense,

    /// <summary>A dense field is NaN or infinite, as written or after overflow (e.g. "1e999").</summary>
    NonFiniteDense,

    /// <summary>A categorical field is neither empty nor 1 to 16 hexadecimal digits.</summary>
    NonHexCategorical,

    /// <summary>The line is longer than the reader's limit; it was skipped unread.</summary>
    LineTooLong,
}
