using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartObservabilityTests
{
    private const string MonitoringValues = "ci/monitoring-values.yaml";

    [Fact]
    public void NoDashboardAndNoAlertRulesByDefault()
    {
        var chart = Helm.Template();

        Assert.Empty(chart.OfKind("PrometheusRule"));
        Assert.DoesNotContain(chart.OfKind("ConfigMap"), map => map.Mapping("metadata").Mapping("labels").Child("grafana_dashboard") != null);
    }

    [Fact]
    public void TheDashboardIsAConfigMapLabelledForTheGrafanaSidecar()
    {
        var dashboard = DashboardConfigMap(Helm.Template(MonitoringValues));

        Assert.Equal("1", dashboard.Mapping("metadata").Mapping("labels").Scalar("grafana_dashboard"));
        Assert.Equal(["recurring.json"], dashboard.Mapping("data").Children.Keys.Select(key => ((YamlScalarNode)key).Value));
    }

    [Fact]
    public void TheDashboardHasAPanelForEachFigureOfTheLivePage()
    {
        var titles = DashboardJson(Helm.Template(MonitoringValues)).GetProperty("panels").EnumerateArray()
            .Select(panel => panel.GetProperty("title").GetString()!).ToList();

        foreach (var figure in new[] { "AUC", "NE", "loss", "Events per second", "lag", "freshness", "MLP widths", "Checkpoints", "Dead letters", "Device", "Memory", "Calibration" })
            Assert.Contains(titles, title => title.Contains(figure, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void EveryDashboardQueryNamesTheDataSourceVariable()
    {
        var panels = DashboardJson(Helm.Template(MonitoringValues)).GetProperty("panels").EnumerateArray().ToList();

        Assert.All(panels.SelectMany(panel => panel.GetProperty("targets").EnumerateArray()),
            target => Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString()));
    }

    [Fact]
    public void TheAlertRulesCoverReadinessCheckpointsFreshnessAucDeadLettersTheirSinkAndRemoteUploads()
    {
        var alerts = Rules(Helm.Template(MonitoringValues)).Select(rule => rule.Scalar("alert"));

        Assert.Equal(["RecurringAucDropped", "RecurringDeadLetterRate", "RecurringDeadLetterSinkFailing", "RecurringEventsStale", "RecurringNoCheckpoint", "RecurringNotReady",
                "RecurringRemoteUploadLag"],
            alerts.Order());
    }

    [Fact]
    public void AlertThresholdsComeFromTheValues()
    {
        var rules = Rules(Helm.Template(MonitoringValues, "metrics.prometheusRule.noCheckpointMinutes=90", "metrics.prometheusRule.notReadyMinutes=7"))
            .ToDictionary(rule => rule.Scalar("alert"));

        Assert.EndsWith("> 5400", rules["RecurringNoCheckpoint"].Scalar("expr"));
        Assert.Equal("7m", rules["RecurringNotReady"].Scalar("for"));
    }

    [Fact]
    public void AlertExpressionsSelectTheReleasesScrapeJob()
    {
        var chart = Helm.Template(MonitoringValues);
        var service = chart.Single("Service").Mapping("metadata").Scalar("name");

        Assert.All(Rules(chart), rule => Assert.Contains($"job=\"{service}\"", rule.Scalar("expr")));
    }

    [SkippableFact]
    public void TheRenderedRulesPassPromtool()
    {
        Promtool.SkipUnlessInstalled();
        var rule = Helm.Template(MonitoringValues).Single("PrometheusRule");
        var file = Path.Combine(Path.GetTempPath(), $"recurring-rules-{Guid.NewGuid():N}.yaml");
        try
        {
            using (var writer = new StreamWriter(file)) new YamlStream(new YamlDocument(rule.Mapping("spec"))).Save(writer, assignAnchors: false);
            var check = Promtool.CheckRules(file);

            Assert.True(check.ExitCode == 0, check.Transcript);
            Assert.Contains("SUCCESS: 7 rules found", check.StandardOutput);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static YamlMappingNode DashboardConfigMap(RenderedChart chart) =>
        chart.OfKind("ConfigMap").Single(map => map.Mapping("metadata").Mapping("labels").Child("grafana_dashboard") != null);

    private static JsonElement DashboardJson(RenderedChart chart) =>
        JsonDocument.Parse(DashboardConfigMap(chart).Mapping("data").Scalar("recurring.json")).RootElement;

    private static IEnumerable<YamlMappingNode> Rules(RenderedChart chart) =>
        chart.Single("PrometheusRule").Mapping("spec").Sequence("groups").Children.Cast<YamlMappingNode>()
            .SelectMany(group => group.Sequence("rules").Children.Cast<YamlMappingNode>());
}
