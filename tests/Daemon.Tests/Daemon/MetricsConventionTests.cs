using System.Text.RegularExpressions;
using Recurring.Daemon.Tests.Deployment;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>The daemon's /metrics as Prometheus tooling sees it, after some streaming.</summary>
[Collection(DaemonCollection.Name)]
public sealed class MetricsConventionTests(KafkaClusterFixture kafka)
{
    /// <summary>The progressive window is published every 16 batches.</summary>
    private const int Events = 17 * DaemonSetup.BatchSize;

    private async Task<string> ScrapeAfterStreamingAsync()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(Events);
        await daemon.WaitUntilAsync(s => s.Streaming.EventsTrained == Events && s.Streaming.ProgressiveWindow is not null && s.Checkpoints.Written > 0,
            "the events are trained, progressive metrics published and a checkpoint written");
        return await daemon.Http.GetStringAsync("/metrics");
    }

    [SkippableFact]
    public async Task PromtoolFindsNothingToCriticise()
    {
        Promtool.SkipUnlessInstalled();
        var check = Promtool.CheckMetrics(await ScrapeAfterStreamingAsync());

        Assert.True(check.ExitCode == 0, check.Transcript);
        Assert.Equal("", check.StandardOutput.Trim());
        Assert.Equal("", check.StandardError.Trim());
    }

    [Fact]
    public async Task BuildInfoNamesTheVersionCommitTorchSharpAndDevice()
    {
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        var info = Assert.Single(families["recurring_build_info"].Samples);
        Assert.Equal(1, info.Value);
        Assert.Equal("cpu", info.Labels["device"]);
        Assert.Equal("0.107.0", info.Labels["torch"]);
        Assert.Matches(@"^\d+\.\d+\.\d+", info.Labels["version"]);
        Assert.False(string.IsNullOrEmpty(info.Labels["commit"]));
    }

    [Fact]
    public async Task TheLastCheckpointIsAUnixTimestampAndReadinessAGauge()
    {
        var before = DateTimeOffset.UtcNow;
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        double last = Assert.Single(families["recurring_checkpoint_last_success_timestamp_seconds"].Samples).Value;
        Assert.InRange(last, before.ToUnixTimeSeconds() - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1, Assert.Single(families["recurring_ready"].Samples).Value);
    }

    [Fact]
    public async Task CalibrationComparesTheMeanPredictionWithTheObservedClickRate()
    {
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        double predicted = Assert.Single(families["recurring_progressive_predicted_ctr"].Samples).Value;
        double observed = Assert.Single(families["recurring_progressive_observed_ctr"].Samples).Value;
        Assert.InRange(predicted, 0.01, 0.99);
        Assert.InRange(observed, 0.01, 0.99);
    }

    [Fact]
    public async Task TrainStepsAndCheckpointWritesAreHistogramsInSeconds()
    {
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        foreach (var name in new[] { "recurring_train_step_duration_seconds", "recurring_checkpoint_write_duration_seconds" })
        {
            var family = families[name];
            Assert.Equal("histogram", family.Type);
            double count = family.Samples.Single(sample => sample.Name == name + "_count").Value;
            Assert.True(count >= 1, $"{name} observed nothing");
            Assert.Equal(count, family.Samples.Single(sample => sample.Name == name + "_bucket" && sample.Labels["le"] == "+Inf").Value);
            Assert.InRange(family.Samples.Single(sample => sample.Name == name + "_sum").Value / count, 1e-6, 60);
        }
        // The streaming phase alone trained at least these 17 batches.
        Assert.True(families["recurring_train_step_duration_seconds"].Samples.Single(sample => sample.Name.EndsWith("_count")).Value >= 17);
    }

    [Fact]
    public async Task FreshnessIsTheAgeOfTheLastTrainedEventOfEachPartition()
    {
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        var freshness = families["recurring_event_freshness_seconds"].Samples;
        Assert.Equal(["0", "1", "2", "3"], freshness.Select(sample => sample.Labels["partition"]).Order());
        // The events were produced moments before the scrape.
        Assert.All(freshness, sample => Assert.InRange(sample.Value, 0, 60));
    }

    [Fact]
    public async Task TheGradientNormIsPositiveAndFinite()
    {
        var families = PrometheusText.Parse(await ScrapeAfterStreamingAsync());

        double norm = Assert.Single(families["recurring_gradient_norm"].Samples).Value;
        Assert.True(norm > 0 && double.IsFinite(norm), $"gradient norm {norm}");
    }

    [Fact]
    public async Task EveryMetricTheDashboardAndTheAlertsUseIsExported()
    {
        var exported = PrometheusText.Parse(await ScrapeAfterStreamingAsync()).Keys.ToHashSet();
        var chart = Helm.Template("ci/monitoring-values.yaml");
        string used = string.Join('\n', chart.Manifests.Select(manifest => manifest.ToString()))
                      + RepositoryLayout.ReadText("helm/recurring/dashboards/recurring.json");

        var names = Regex.Matches(used, @"\b(?:recurring|process|dotnet)_[a-z_]+").Select(match => match.Value)
            .Select(name => Regex.Replace(name, "_(bucket|sum|count)$", "")).ToHashSet();
        // Exported only with remote checkpoint storage (Checkpoints:Remote), which is not configured here.
        names.RemoveWhere(name => name.StartsWith("recurring_remote_", StringComparison.Ordinal));
        var missing = names.Except(exported).Order().ToList();
        Assert.True(missing.Count == 0, $"Used but not exported: {string.Join(", ", missing)}");
    }
}
