namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartLintTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("ci/gpu-values.yaml")]
    [InlineData("ci/secure-values.yaml")]
    [InlineData("ci/maintenance-values.yaml")]
    [InlineData("ci/monitoring-values.yaml")]
    public void ChartPassesStrictLint(string? valuesFile)
    {
        var lint = Helm.Lint(valuesFile);

        Assert.True(lint.ExitCode == 0, lint.Transcript);
        Assert.Contains("0 chart(s) failed", lint.StandardOutput);
    }
}
