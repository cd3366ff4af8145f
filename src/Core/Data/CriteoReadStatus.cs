namespace Recurring.Core.Data;

/// <summary>What <see cref="CriteoTsvReader.Read"/> found.</summary>
public enum CriteoReadStatus
{
    EndOfStream,
    Record,
    Error,
}
