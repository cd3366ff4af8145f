namespace Recurring.Checkpointing.Tests.Support;

/// <summary>A clock that stands still until moved, so checkpoint names and days are chosen by the test.</summary>
internal sealed class FixedClock(DateTime utcNow) : TimeProvider
{
    public DateTime UtcNow { get; set; } = utcNow;

    public override DateTimeOffset GetUtcNow() => new(UtcNow, TimeSpan.Zero);
}
