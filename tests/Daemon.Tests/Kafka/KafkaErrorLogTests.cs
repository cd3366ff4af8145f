using Confluent.Kafka;
using Microsoft.Extensions.Time.Testing;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public sealed class KafkaErrorLogTests
{
    private static readonly Error Refused = new(ErrorCode.Local_Transport, "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused");
    private static readonly Error AllDown = new(ErrorCode.Local_AllBrokersDown, "1/1 brokers are down");

    /// <summary>
    /// librdkafka reports a refused connection at every reconnect, and "all brokers down" after it: 20 times a second each
    /// here, for three minutes. The log gets each kind once, then a summary a minute; after a quiet minute, errors are news again.
    /// </summary>
    [Fact]
    public void ErrorsRepeatedManyTimesASecondAreOneLineEachThenOneSummaryAMinute()
    {
        var time = new FakeTimeProvider();
        var log = new RecordingLogger();
        var errors = new KafkaErrorLog(log, time);

        for (int i = 0; i < 3 * 60 * 20; i++)
        {
            errors.Report(Refused);
            errors.Report(AllDown);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }
        Assert.Equal(
        [
            $"Warning: Kafka client error Local_Transport: {Refused.Reason}",
            $"Warning: Kafka client error Local_AllBrokersDown: {AllDown.Reason}",
            $"Warning: Kafka client errors go on: 2399 more in the last 60 s (Local_AllBrokersDown 1199, Local_Transport 1200); latest: {Refused.Reason}",
            $"Warning: Kafka client errors go on: 2400 more in the last 60 s (Local_AllBrokersDown 1200, Local_Transport 1200); latest: {Refused.Reason}",
        ], log.Lines);

        time.Advance(TimeSpan.FromMinutes(2));
        errors.Report(Refused);

        Assert.Equal(6, log.Lines.Count);
        Assert.StartsWith("Warning: Kafka client errors go on: 2399 more in the last 60 s", log.Lines[4]);
        Assert.Equal($"Warning: Kafka client error Local_Transport: {Refused.Reason}", log.Lines[5]);
    }

    [Fact]
    public void AFatalErrorIsAlwaysLoggedAsAnError()
    {
        var log = new RecordingLogger();
        var errors = new KafkaErrorLog(log, new FakeTimeProvider());
        var fatal = new Error(ErrorCode.Local_Fatal, "idempotent producer fenced", isFatal: true);

        errors.Report(fatal);
        errors.Report(fatal);

        Assert.Equal([$"Error: Kafka client error Local_Fatal: {fatal.Reason}", $"Error: Kafka client error Local_Fatal: {fatal.Reason}"], log.Lines);
    }
}
