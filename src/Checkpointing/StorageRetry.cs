using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Recurring.Checkpointing;

/// <summary>
/// Which storage failures are worth retrying, and the bounded exponential-backoff pipeline that retries them.
/// </summary>
public static partial class StorageRetry
{
    // Linux errno values, which .NET carries as the HResult of the IOExceptions it raises on Unix.
    private const int NoSpaceLeft = 28;      // ENOSPC
    private const int ReadOnlyFileSystem = 30; // EROFS
    private const int QuotaExceeded = 122;   // EDQUOT

    /// <summary>
    /// An I/O error may pass (a busy network mount, an interrupted call); a full disk, a read-only or missing path,
    /// a permission error or a short file will not, so those surface at once.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception is IOException io
        && io is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException or EndOfStreamException)
        && io.HResult is not (NoSpaceLeft or ReadOnlyFileSystem or QuotaExceeded);

    public static ResiliencePipeline Build(CheckpointOptions options, ILogger logger)
    {
        if (options.RetryAttempts == 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<IOException>(IsTransient),
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMilliseconds),
                MaxDelay = TimeSpan.FromMilliseconds(options.RetryMaxDelayMilliseconds),
                OnRetry = arguments =>
                {
                    LogRetry(logger, arguments.Outcome.Exception, arguments.AttemptNumber + 1, options.RetryAttempts, arguments.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint storage failed transiently; retry {Attempt} of {Attempts} in {Delay}")]
    private static partial void LogRetry(ILogger logger, Exception? exception, int attempt, int attempts, TimeSpan delay);
}
