using Microsoft.Extensions.Configuration;
using Recurring.Daemon.Bench;
using Recurring.Daemon.Configuration;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Bench;

public sealed class StreamBenchmarkTests
{
    /// <summary>A small model and batch, so the benchmark's own path runs in seconds.</summary>
    private static RecurringSettings Small(int batchSize, string format = "criteo-tsv") => RecurringSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Kafka:Format"] = format,
        ["Training:BatchSize"] = $"{batchSize}",
        ["Streaming:MaxBatchSize"] = $"{batchSize}",
        ["Model:EmbeddingDim"] = "4",
        ["Model:RowsPerTable"] = "1000",
        ["Model:BottomLayers:0"] = "13",
        ["Model:BottomLayers:1"] = "8",
        ["Model:BottomLayers:2"] = "4",
        ["Model:TopHidden:0"] = "8",
        ["Synthetic:CalibrationSampleSize"] = "1000",
    }).Build());

    [Fact]
    public async Task MeasuresProductionEndToEndTrainingAndTheTrainerAloneOverOnePartitionsEvents()
    {
        var measured = await new StreamBenchmark(Small(batchSize: 256), CPU).RunAsync(partitions: 1, CancellationToken.None);

        Assert.Equal(StreamBenchmark.EventsPerPartition(KafkaEventFormat.CriteoTsv), measured.Events);
        Assert.All([measured.ProduceEventsPerSecond, measured.EndToEndEventsPerSecond, measured.TrainerAloneEventsPerSecond],
            rate => Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}"));
        Assert.Equal(measured.EndToEndEventsPerSecond / measured.TrainerAloneEventsPerSecond, measured.Ratio);
    }

    [Fact]
    public async Task JsonEventsStreamEndToEndWithinWhatTheBrokerKeeps()
    {
        var measured = await new StreamBenchmark(Small(batchSize: 256, format: "json"), CPU).RunAsync(partitions: 1, CancellationToken.None);

        Assert.Equal(StreamBenchmark.EventsPerPartition(KafkaEventFormat.Json), measured.Events);
        Assert.True(double.IsFinite(measured.Ratio) && measured.Ratio > 0, $"ratio {measured.Ratio}");
    }

    [Fact]
    public async Task TooFewEventsToWarmUpAndTimeAreRefusedWithWhatToChange()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => new StreamBenchmark(Small(batchSize: 2048), CPU).RunAsync(partitions: 1, CancellationToken.None));

        Assert.Contains("use more partitions", error.Message);
    }
}
