using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// The one retry pipeline for our own Kafka calls (dead letters, model updates): exponential back-off with jitter,
/// bounded in attempts and delay, for transient errors only. librdkafka already retries inside each produce until
/// the delivery timeout, so a retry here means the brokers stayed out of reach for that long.
/// </summary>
public static class KafkaResilience
{
    /// <summary>
    /// Errors that go away by themselves: brokers unreachable or busy, leadership moving, a topic still being
    /// created. Anything else (authorization, a message too large, a fatal producer state) fails the same way again.
    /// </summary>
    private static readonly HashSet<ErrorCode> TransientCodes =
    [
        ErrorCode.Local_Transport,
        ErrorCode.Local_AllBrokersDown,
        ErrorCode.Local_MsgTimedOut,
        ErrorCode.Local_TimedOut,
        ErrorCode.Local_TimedOutQueue,
        ErrorCode.Local_QueueFull,
        ErrorCode.Local_UnknownPartition,
        ErrorCode.Local_UnknownTopic,
        ErrorCode.Local_WaitCoord,
        ErrorCode.Local_Retry,
        ErrorCode.RequestTimedOut,
        ErrorCode.NetworkException,
        ErrorCode.BrokerNotAvailable,
        ErrorCode.LeaderNotAvailable,
        ErrorCode.NotLeaderForPartition,
        ErrorCode.ReplicaNotAvailable,
        ErrorCode.NotEnoughReplicas,
        ErrorCode.NotEnoughReplicasAfterAppend,
        ErrorCode.UnknownTopicOrPart,
        ErrorCode.KafkaStorageError,
        ErrorCode.GroupLoadInProgress,
        ErrorCode.GroupCoordinatorNotAvailable,
        ErrorCode.NotCoordinatorForGroup,
        ErrorCode.ThrottlingQuotaExceeded,
    ];

    public static bool IsTransient(KafkaException exception) =>
        !exception.Error.IsFatal && (exception is KafkaRetriableException || TransientCodes.Contains(exception.Error.Code));

    /// <param name="operation">Names what is retried in the log, e.g. "dead letter".</param>
    /// <param name="timeProvider">The clock the back-off waits on; tests may pass their own.</param>
    public static ResiliencePipeline CreateRetryPipeline(KafkaRetryOptions options, ILogger logger, string operation, TimeProvider? timeProvider = null)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors), nameof(options));
        if (options.MaxAttempts == 1) return ResiliencePipeline.Empty;

        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider ?? TimeProvider.System };
        return builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<KafkaException>(IsTransient),
            MaxRetryAttempts = options.MaxAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(options.BaseDelayMilliseconds),
            MaxDelay = TimeSpan.FromMilliseconds(options.MaxDelayMilliseconds),
            OnRetry = arguments =>
            {
                logger.LogWarning(arguments.Outcome.Exception, "Kafka {Operation} failed (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}",
                    operation, arguments.AttemptNumber + 1, options.MaxAttempts, arguments.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();
    }
}
