namespace Recurring.Core.Data;

/// <summary>Criteo TSV lines (<see cref="CriteoLineParser"/>) as events of a schema with Criteo's layout.</summary>
public sealed class CriteoEventParser : IEventParser
{
    private readonly CriteoRecord _record = new();

    public CriteoEventParser(FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!schema.HasCriteoLayout)
            throw new ArgumentException("Criteo TSV lines only fill a schema with Criteo's layout (13 dense, 26 single-valued sparse features).", nameof(schema));
        Schema = schema;
    }

    public FeatureSchema Schema { get; }

    public bool TryParse(ReadOnlySpan<byte> utf8, ClickEvent into, out EventErrorKind kind, out string? reason)
    {
        if (!CriteoLineParser.TryParse(utf8, _record, out kind, out string why))
        {
            reason = why;
            return false;
        }
        into.SetFrom(_record);
        reason = null;
        return true;
    }
}
