using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

public class KafkaResilienceTests
{
    private static readonly KafkaRetryOptions ThreeQuickAttempts = new() { MaxAttempts = 3, BaseDelayMilliseconds = 0, MaxDelayMilliseconds = 0 };

    private static async Task<int> AttemptsUntilDone(KafkaRetryOptions options, Func<int, Task> attempt)
    {
        var pipeline = KafkaResilience.CreateRetryPipeline(options, NullLogger.Instance, "test");
        int attempts = 0;
        try
        {
            await pipeline.ExecuteAsync(async _ => await attempt(++attempts), CancellationToken.None);
        }
        catch (KafkaException)
        {
            // The attempt count is what these tests look at.
        }
        return attempts;
    }

    [Theory]
    [InlineData(ErrorCode.Local_Transport)]
    [InlineData(ErrorCode.Local_AllBrokersDown)]
    [InlineData(ErrorCode.Local_MsgTimedOut)]
    [InlineData(ErrorCode.NotLeaderForPartition)]
    [InlineData(ErrorCode.RequestTimedOut)]
    public void BrokerTroubleIsTransient(ErrorCode code) =>
        Assert.True(KafkaResilience.IsTransient(new KafkaException(code)));

    [Theory]
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    [InlineData(ErrorCode.MsgSizeTooLarge)]
    [InlineData(ErrorCode.Local_InvalidArg)]
    public void ErrorsThatWouldRecurAreNotTransient(ErrorCode code) =>
        Assert.False(KafkaResilience.IsTransient(new KafkaException(code)));

    [Fact]
    public void AFatalErrorIsNeverTransient() =>
        Assert.False(KafkaResilience.IsTransient(new KafkaException(new Error(ErrorCode.Local_Transport, "fenced", isFatal: true))));

    [Fact]
    public async Task TransientFailuresAreRetriedUntilTheCallSucceeds()
    {
        int attempts = await AttemptsUntilDone(ThreeQuickAttempts, attempt =>
            attempt < 3 ? throw new KafkaException(ErrorCode.Local_MsgTimedOut) : Task.CompletedTask);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task RetriesStopAtTheMaximumNumberOfAttempts()
    {
        int attempts = await AttemptsUntilDone(ThreeQuickAttempts, _ => throw new KafkaException(ErrorCode.Local_AllBrokersDown));
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task PermanentFailuresAreNotRetried()
    {
        int attempts = await AttemptsUntilDone(ThreeQuickAttempts, _ => throw new KafkaException(ErrorCode.TopicAuthorizationFailed));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task OneAttemptMeansNoRetry()
    {
        int attempts = await AttemptsUntilDone(new KafkaRetryOptions { MaxAttempts = 1 }, _ => throw new KafkaException(ErrorCode.Local_Transport));
        Assert.Equal(1, attempts);
    }
}
