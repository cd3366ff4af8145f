using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Recurring.Core;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Cli;

/// <summary>`recurring produce`: synthetic click events into a Kafka topic, e.g. to feed a daemon under test.</summary>
public static class ProduceCommand
{
    private const int SomeEventsFailed = 1;
    private const int Cancelled = 130;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a cancelled run still waits for the events already handed to the client.</summary>
    private static readonly TimeSpan FlushAfterCancelLimit = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Brokers as host:port[,host:port...] (default Kafka:BootstrapServers)." };
        var topic = new Option<string?>("--topic") { Description = "Topic to write to (default Kafka:Topic)." };
        var events = new Option<long>("--events") { Description = "Number of events.", Required = true }.InRange(1, long.MaxValue);
        var rate = new Option<double>("--rate") { Description = "Events per second; 0 writes as fast as the brokers take them.", DefaultValueFactory = _ => 0 }.InRange(0, 1e9);
        var seed = new Option<ulong?>("--seed") { Description = "Teacher and data seed (default Synthetic:Seed)." };
        var start = new Option<long>("--start") { Description = "Index of the first event (event time; drift depends on it).", DefaultValueFactory = _ => 0 }.InRange(0, long.MaxValue);
        var format = KafkaFormatOption.Create("Message format");
        var json = CommonOptions.Json();
        var command = new Command("produce", "Write synthetic click events drawn from the hidden teacher to a Kafka topic.")
        {
            bootstrap, topic, events, rate, seed, start, format, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) => CommandSettings.GuardAsync(async () =>
        {
            var overrides = new List<string>();
            if (result.GetValue(bootstrap) is { } b) overrides.Add($"--Kafka:BootstrapServers={b}");
            if (result.GetValue(topic) is { } t) overrides.Add($"--Kafka:Topic={t}");
            if (result.GetValue(seed) is { } s) overrides.Add($"--Synthetic:Seed={s}");
            overrides.AddRange(KafkaFormatOption.Override(result, format));
            var settings = CommandSettings.Load(result, overrides);
            if (settings is null) return CommandSettings.InvalidConfiguration;
            if (string.IsNullOrWhiteSpace(settings.Kafka.BootstrapServers))
                throw new ArgumentException("produce needs a broker: give --bootstrap or set Kafka:BootstrapServers.");
            return await ProduceAsync(settings, result.GetValue(start), result.GetValue(events), result.GetValue(rate), result.GetValue(json), cancellationToken);
        }));
        return command;
    }

    /// <param name="Events">Events handed to the client.</param>
    /// <param name="NextEvent">Where a following run would start: --start for the next batch.</param>
    /// <param name="Format">The messages' format, as Kafka:Format spells it.</param>
    public sealed record ProduceReport(long Events, long Delivered, long Failed, double Seconds, double EventsPerSecond, string Topic, long NextEvent, string Format);

    private static async Task<int> ProduceAsync(RecurringSettings settings, long first, long count, double eventsPerSecond, bool json,
        CancellationToken cancellationToken)
    {
        Console.WriteLine($"producing events {first:N0} to {first + count - 1:N0} as {KafkaFormatOption.Describe(settings.Kafka.Format)} " +
                          $"to '{settings.Kafka.Topic}' on {settings.Kafka.BootstrapServers}" +
                          (eventsPerSecond > 0 ? $" at {eventsPerSecond:N0} events/s" : ""));
        var (report, cancelled, lastDeliveryError) = await RunAsync(settings, first, count, eventsPerSecond, cancellationToken);
        Console.WriteLine($"{(cancelled ? "cancelled: " : "")}produced {report.Events:N0} events, delivered {report.Delivered:N0}, " +
                          $"failed {report.Failed:N0} in {report.Seconds:F1} s ({report.EventsPerSecond:N0} events/s); next event {report.NextEvent:N0}");
        if (lastDeliveryError is not null) Console.Error.WriteLine($"last delivery error: {lastDeliveryError}");
        if (json) JsonReport.Write(Console.Out, report);
        return cancelled ? Cancelled : report.Failed > 0 ? SomeEventsFailed : 0;
    }

    /// <summary>Produces and flushes; returns only after the client and its log output are closed, so nothing prints after the summary.</summary>
    private static async Task<(ProduceReport Report, bool Cancelled, string? LastDeliveryError)> RunAsync(RecurringSettings settings,
        long first, long count, double eventsPerSecond, CancellationToken cancellationToken)
    {
        using var logging = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Warning)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(format => format.SingleLine = true));
        using var producer = new SyntheticEventProducer(settings.Kafka.ToProducerConfig(), settings.Kafka.Topic,
            new SyntheticClickGenerator(settings.Synthetic, settings.Schema), logging.CreateLogger(typeof(ProduceCommand).FullName!),
            format: settings.Kafka.Format);

        var clock = Stopwatch.StartNew();
        bool cancelled = false;
        using (var progress = new CancellationTokenSource())
        {
            var progressLines = PrintProgressAsync(producer, count, clock, progress.Token);
            try
            {
                await producer.ProduceAsync(first, count, eventsPerSecond, cancellationToken);
                await producer.FlushAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                await FlushWithinAsync(producer, FlushAfterCancelLimit);
            }
            finally
            {
                await progress.CancelAsync();
                await progressLines;
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var report = new ProduceReport(producer.Produced, producer.Delivered, producer.Failed, seconds,
            seconds > 0 ? producer.Delivered / seconds : 0, settings.Kafka.Topic, producer.NextEvent,
            KebabCaseEnumConverter<KafkaEventFormat>.ToKebabCase(settings.Kafka.Format.ToString()));
        return (report, cancelled, producer.LastDeliveryError);
    }

    private static async Task PrintProgressAsync(SyntheticEventProducer producer, long total, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F1} s: produced {producer.Produced:N0} of {total:N0}, " +
                                  $"delivered {producer.Delivered:N0}, failed {producer.Failed:N0}");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over; its summary follows.
        }
    }

    private static async Task FlushWithinAsync(SyntheticEventProducer producer, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await producer.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Whatever is still undelivered shows in the summary as neither delivered nor failed.
        }
    }
}
