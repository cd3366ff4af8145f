using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class MetricsTests(KafkaClusterFixture kafka)
{
    /// <summary>The progressive window is published every 16 batches.</summary>
    private const int Events = 17 * DaemonSetup.BatchSize;

    [Fact]
    public async Task MetricsAreValidPrometheusTextWithTheDaemonsFamilies()
    {
        using var setup = new DaemonSetup(kafka);
        using var topic = new ClickTopic(kafka.Cluster.BootstrapServers, setup.Topic);
        await using var daemon = await RunningDaemon.StartStreamingAsync(setup);
        await topic.ProduceEventsAsync(Events);
        await daemon.WaitUntilAsync(s => s.Streaming.EventsTrained == Events && s.Streaming.ProgressiveWindow is not null && s.Reader.Partitions.Count == 4,
            "the events are trained, progressive metrics published and lag reported");

        using var response = await daemon.Http.GetAsync("/metrics");
        Assert.True(response.IsSuccessStatusCode);
        Assert.StartsWith("text/plain; version=0.0.4", response.Content.Headers.ContentType!.ToString());
        var families = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        double Single(string name, string type)
        {
            Assert.True(families.TryGetValue(name, out var family), $"{name} is missing");
            Assert.Equal(type, family.Type);
            return Assert.Single(family.Samples).Value;
        }
        IReadOnlyList<PrometheusSample> Labelled(string name, string type)
        {
            Assert.True(families.TryGetValue(name, out var family), $"{name} is missing");
            Assert.Equal(type, family.Type);
            return family.Samples;
        }

        Assert.Equal(Events, Single("recurring_events_trained_total", "counter"));
        Assert.Equal(Events, Single("recurring_events_consumed_total", "counter"));
        Assert.InRange(Single("recurring_progressive_auc", "gauge"), 0.0, 1.0);
        Assert.InRange(Single("recurring_checkpoint_age_seconds", "gauge"), 0.0, 600.0);
        Assert.Equal(1, Single("recurring_kafka_reachable", "gauge"));
        Assert.Equal(0, Single("recurring_paused", "gauge"));
        // Process figures, so memory and CPU can be watched next to training.
        Assert.InRange(Single("process_working_set_bytes", "gauge"), 100e6, 100e9);
        Assert.True(Single("process_cpu_seconds_total", "counter") > 0);

        Assert.Equal(["0", "1", "2", "3"], Labelled("recurring_consumer_lag", "gauge").Select(s => s.Labels["partition"]).Order());
        Assert.All(Labelled("recurring_consumer_lag", "gauge"), s => Assert.Equal(setup.Topic, s.Labels["topic"]));
        Assert.All(Labelled("recurring_consumer_lag", "gauge"), s => Assert.True(s.Value >= 0));

        var phases = Labelled("recurring_phase", "gauge").ToDictionary(s => s.Labels["phase"], s => s.Value);
        Assert.Equal(new Dictionary<string, double> { ["starting"] = 0, ["offline"] = 0, ["streaming"] = 1, ["stopping"] = 0, ["failed"] = 0 }, phases);

        var widths = Labelled("recurring_mlp_width", "gauge");
        Assert.Equal([13.0, 16, 8, 8, 4], widths.Where(s => s.Labels["mlp"] == "bottom").OrderBy(s => int.Parse(s.Labels["layer"])).Select(s => s.Value));
        var top = widths.Where(s => s.Labels["mlp"] == "top").OrderBy(s => int.Parse(s.Labels["layer"])).Select(s => s.Value).ToList();
        Assert.Equal([16.0, 8, 1], top[1..]);
    }
}
