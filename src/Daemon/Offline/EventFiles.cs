using Recurring.Core.Data;

namespace Recurring.Daemon.Offline;

/// <summary>
/// Event files on disk, their format chosen by extension: one file, or every file of a folder in ordinal name order,
/// all of one format (names starting with '.' or '_', such as Spark's _SUCCESS and .crc files, are left out).
/// </summary>
public static class EventFiles
{
    public const string Choices = ".tsv (Criteo layout), .jsonl (one JSON event per line) or .parquet";

    /// <summary>
    /// The files at <paramref name="path"/>, for events of <paramref name="schema"/>. Throws, with one line, for a path
    /// that is not there, an unknown extension, a folder mixing formats, or Criteo TSV under a schema of another layout.
    /// </summary>
    public static IReadOnlyList<EventFile> FromPath(string path, FeatureSchema schema)
    {
        if (File.Exists(path)) return [ForFile(path, schema)];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No event file or folder at '{path}'.", path);
        var files = Directory.EnumerateFiles(path)
            .Where(f => Path.GetFileName(f) is var name && !name.StartsWith('.') && !name.StartsWith('_'))
            .Order(StringComparer.Ordinal)
            .Select(f => ForFile(f, schema))
            .ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"The folder '{path}' holds no files.", path);
        if (files.FirstOrDefault(f => f.Format != files[0].Format) is { } other)
            throw new ArgumentException($"The folder '{path}' mixes formats: {Path.GetFileName(files[0].Name)} and {Path.GetFileName(other.Name)}; " +
                                        "keep the files of one format in a folder.");
        return files;
    }

    private static EventFile ForFile(string file, FeatureSchema schema)
    {
        var format = EventFile.FormatOf(file)
            ?? throw new ArgumentException($"'{file}' is not an event file this reads: its name must end in {Choices}.");
        if (format == EventFileFormat.CriteoTsv && !schema.HasCriteoLayout)
            throw new ArgumentException($"'{file}' is Criteo TSV, which only fills a schema with Criteo's layout (13 dense, 26 single-valued sparse features), " +
                                        $"but the schema has {schema.Dense.Count} dense and {schema.Sparse.Count} sparse features: write the events as .jsonl or .parquet.");
        return new EventFile(Path.GetFullPath(file), format,
            () => new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan));
    }
}
