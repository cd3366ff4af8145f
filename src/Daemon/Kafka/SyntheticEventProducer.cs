using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// Writes a synthetic generator's events to a topic (see <see cref="ClickEventEncoder"/> for the format), at a
/// steady rate or as fast as the client takes them. Event i is a pure function of the seed and i, so a run that
/// starts at event i continues exactly where an earlier one stopped. The embedded broker keeps only about 5 MiB per
/// partition (some 25,000 events): against it, pace the producer rather than run flat out ahead of the consumer.
/// </summary>
/// <remarks>One production run at a time; the counters may be read from any thread while it goes on.</remarks>
public sealed class SyntheticEventProducer : IDisposable
{
    /// <summary>A count meaning "until cancelled".</summary>
    public const long Forever = long.MaxValue;

    /// <summary>Up to this much time's worth of events may leave at once when paced.</summary>
    private static readonly TimeSpan PacingBurst = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long to wait for room when the client's queue is full: it drains thousands of messages per millisecond
    /// to a reachable broker, and an unreachable one is better waited for calmly.
    /// </summary>
    private static readonly TimeSpan QueueFullWait = TimeSpan.FromMilliseconds(5);

    /// <summary>How often a held-back run asks again whether it may go on.</summary>
    private static readonly TimeSpan HoldBackWait = TimeSpan.FromMilliseconds(20);

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly string _topic;
    private readonly SyntheticClickGenerator _generator;
    private readonly KafkaEventFormat _format;
    private readonly TimeProvider _time;
    private readonly Action<DeliveryReport<byte[]?, byte[]>> _onDelivery;
    private long _produced;
    private long _delivered;
    private long _failed;
    private long _nextEvent;
    private volatile string? _lastDeliveryError;

    /// <param name="format">How the messages are written; Criteo TSV unless given (which needs a generator of Criteo's layout).</param>
    /// <exception cref="ArgumentException">librdkafka rejected a setting, or the format cannot carry the generator's events.</exception>
    public SyntheticEventProducer(ProducerConfig config, string topic, SyntheticClickGenerator generator, ILogger logger, TimeProvider? time = null,
        KafkaEventFormat format = KafkaEventFormat.CriteoTsv)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        _topic = topic;
        _generator = generator;
        _format = format;
        if (format == KafkaEventFormat.CriteoTsv && !generator.Schema.HasCriteoLayout)
            throw new ArgumentException("Criteo TSV lines only carry events of Criteo's layout (13 dense, 26 single-valued sparse features); the generator's schema has another.", nameof(format));
        _time = time ?? TimeProvider.System;
        _onDelivery = OnDelivery;
        _producer = KafkaClients.CreateProducer(config, logger);
    }

    /// <summary>Events handed to the client.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Events the brokers acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events the client gave up on (after its own retries, within the delivery timeout).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Index of the next event a run would produce: where to resume.</summary>
    public long NextEvent => Interlocked.Read(ref _nextEvent);

    public string? LastDeliveryError => _lastDeliveryError;

    /// <summary>
    /// Produces events <paramref name="firstEvent"/> onwards, <paramref name="count"/> of them or
    /// <see cref="Forever"/>, at <paramref name="eventsPerSecond"/> (0: as fast as the client takes them). Returns
    /// once every event is handed to the client; <see cref="FlushAsync"/> then waits for their delivery. While
    /// <paramref name="holdBack"/> returns true (a consumer that fell behind), production waits.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; the counters and <see cref="NextEvent"/> say how far it got.</exception>
    public async Task ProduceAsync(long firstEvent, long count, double eventsPerSecond, CancellationToken cancellationToken, Func<bool>? holdBack = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstEvent);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(eventsPerSecond >= 0) || double.IsInfinity(eventsPerSecond))
            throw new ArgumentOutOfRangeException(nameof(eventsPerSecond), eventsPerSecond, "The rate must be 0 (unpaced) or a positive number.");

        long end = count == Forever || count > long.MaxValue - firstEvent ? long.MaxValue : firstEvent + count;
        var pacing = eventsPerSecond > 0 ? new TokenBucket(eventsPerSecond, PacingBurst, _time) : null;
        var e = new ClickEvent(_generator.Schema);
        using var encoder = new ClickEventEncoder(_format, _generator.Schema);
        Interlocked.Exchange(ref _nextEvent, firstEvent);
        for (long eventIndex = firstEvent; eventIndex < end; eventIndex++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (holdBack?.Invoke() == true) await Task.Delay(HoldBackWait, _time, cancellationToken);
            if (pacing is not null) await pacing.TakeAsync(cancellationToken);
            _generator.Generate(eventIndex, e);
            await HandToClientAsync(new Message<byte[]?, byte[]>
            {
                Key = ClickEventEncoder.EventIndexKey(eventIndex),
                Value = encoder.Encode(e),
            }, cancellationToken);
            Interlocked.Increment(ref _produced);
            Interlocked.Exchange(ref _nextEvent, eventIndex + 1);
        }
    }

    /// <summary>Waits until every produced event is delivered or has failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) =>
        // Confluent.Kafka's Flush blocks its thread; keep that off the caller's.
        Task.Run(() => _producer.Flush(cancellationToken), cancellationToken);

    public void Dispose() => _producer.Dispose();

    private async ValueTask HandToClientAsync(Message<byte[]?, byte[]> message, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                _producer.Produce(_topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                await Task.Delay(QueueFullWait, _time, cancellationToken);
            }
        }
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        if (!report.Error.IsError)
        {
            Interlocked.Increment(ref _delivered);
            return;
        }
        _lastDeliveryError = $"{report.Error.Code}: {report.Error.Reason}";
        Interlocked.Increment(ref _failed);
    }
}
