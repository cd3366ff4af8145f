namespace Recurring.Daemon.Tests.Deployment;

/// <summary>Paths of the deployment files, found from the test binaries' folder.</summary>
internal static class RepositoryLayout
{
    private static readonly Lazy<string> root = new(FindRoot);

    public static string Root => root.Value;

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public static string ReadText(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Recurring.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} contains Recurring.sln.");
    }
}
