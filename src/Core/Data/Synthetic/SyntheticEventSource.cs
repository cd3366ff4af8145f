namespace Recurring.Core.Data.Synthetic;

/// <summary>Events <c>first .. first + count - 1</c> of a generator, with their true click probabilities.</summary>
public sealed class SyntheticEventSource(SyntheticClickGenerator generator, long firstEvent, long count) : IClickEventSource
{
    private readonly long _end = count == long.MaxValue ? long.MaxValue : firstEvent + count;

    /// <summary>Index of the next event to be read: the resume position.</summary>
    public long NextEvent { get; private set; } = firstEvent;

    /// <summary>Generates the next event into an event whose schema fits the generator's (<see cref="SyntheticClickGenerator.Fits"/>).</summary>
    public bool TryRead(ClickEvent into, out double trueProbability)
    {
        if (NextEvent >= _end)
        {
            trueProbability = double.NaN;
            return false;
        }
        trueProbability = generator.Generate(NextEvent++, into);
        return true;
    }
}
