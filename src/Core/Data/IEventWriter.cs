namespace Recurring.Core.Data;

/// <summary>Writes events to a file in one format; <see cref="IDisposable.Dispose"/> finishes the file.</summary>
public interface IEventWriter : IDisposable
{
    void Write(ClickEvent e);
}

public static class EventFileWriter
{
    /// <summary>
    /// A writer of <paramref name="format"/> whose file <see cref="EventFileSource"/> reads back as the same events;
    /// <paramref name="open"/> is called only once the format is known to hold the schema.
    /// </summary>
    public static IEventWriter Create(EventFileFormat format, Func<Stream> open, FeatureSchema schema)
    {
        if (format == EventFileFormat.CriteoTsv && !schema.HasCriteoLayout)
            throw new ArgumentException($"Criteo TSV holds only Criteo's layout (13 dense, 26 single-valued sparse features), not {schema.Dense.Count} dense and " +
                                        $"{schema.Sparse.Count} sparse features: write .jsonl or .parquet.");
        return format switch
        {
            EventFileFormat.CriteoTsv => new CriteoTsvWriter(open()),
            EventFileFormat.JsonLines => new JsonLinesEventWriter(open()),
            _ => new ParquetEventWriter(open(), schema),
        };
    }
}
