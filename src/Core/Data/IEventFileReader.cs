namespace Recurring.Core.Data;

/// <summary>One file's events in order, any format, resumable from <see cref="Offset"/> and <see cref="Records"/>.</summary>
internal interface IEventFileReader : IDisposable
{
    /// <summary>Where the next record starts, in bytes, for line formats; 0 where records are found by number (Parquet).</summary>
    long Offset { get; }

    /// <summary>Records (lines or rows) consumed from the start of the file, good or bad.</summary>
    long Records { get; }

    EventReadStatus Read(ClickEvent into, out EventReadError error);
}
