using Recurring.Core.Data;

namespace Recurring.Daemon.Offline;

/// <summary>Criteo TSV inputs on disk: one file, or every regular file of a folder in ordinal name order.</summary>
public static class TsvInputs
{
    public static IReadOnlyList<TsvInput> FromPath(string path)
    {
        if (File.Exists(path)) return [ForFile(path)];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No Criteo TSV file or folder at '{path}'.", path);
        var files = Directory.EnumerateFiles(path)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(ForFile)
            .ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"The folder '{path}' holds no files.", path);
        return files;
    }

    private static TsvInput ForFile(string file) =>
        new(Path.GetFullPath(file), () => new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan));
}
