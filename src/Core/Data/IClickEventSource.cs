namespace Recurring.Core.Data;

/// <summary>A finite or endless sequence of labelled click events, read one at a time.</summary>
public interface IClickEventSource
{
    /// <summary>
    /// Fills <paramref name="into"/> (an event of the source's schema) with the next event. <paramref name="trueProbability"/> is the event's real click
    /// probability when the source knows it (the synthetic teacher), otherwise NaN. Returns false at the end.
    /// </summary>
    bool TryRead(ClickEvent into, out double trueProbability);
}
