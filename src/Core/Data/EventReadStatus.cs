namespace Recurring.Core.Data;

/// <summary>What reading the next record of a file found.</summary>
public enum EventReadStatus
{
    EndOfStream,

    /// <summary>A well-formed event, filled in.</summary>
    Event,

    /// <summary>A malformed record, described by an <see cref="EventReadError"/>; reading may go on after it.</summary>
    Error,
}
