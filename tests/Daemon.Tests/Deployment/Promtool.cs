namespace Recurring.Daemon.Tests.Deployment;

/// <summary>
/// Prometheus's own checker (Debian package `prometheus`, which .ci/run installs). The tests that use it are
/// skipped where it is not installed, so a developer machine without it still runs the rest.
/// </summary>
internal static class Promtool
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    private static readonly string? executable = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "promtool"))
        .FirstOrDefault(File.Exists);

    public static void SkipUnlessInstalled() =>
        Skip.If(executable is null, "promtool is not installed (Debian package prometheus; .ci/run installs it)");

    /// <summary>`promtool check rules` on a rules file (the `spec` of a PrometheusRule).</summary>
    public static CommandResult CheckRules(string rulesFile) =>
        ExternalCommand.Run(executable!, ["check", "rules", rulesFile], CommandTimeout);

    /// <summary>`promtool check metrics` on an exposition in the Prometheus text format; lint problems go to stdout.</summary>
    public static CommandResult CheckMetrics(string exposition) =>
        ExternalCommand.Run(executable!, ["check", "metrics"], CommandTimeout, exposition);
}
