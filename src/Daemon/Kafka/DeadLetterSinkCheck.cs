using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Recurring.Daemon.Kafka;

/// <summary>
/// At start, before any letter needs it: checks that the dead-letter topic (or file) can be written, so a missing
/// topic or ACL shows in the first seconds (a line, and /status deadLetters.sinkProblem) rather than at the first
/// malformed event; letters then go to the quarantine file until the sink works. It waits for the host to have started,
/// so its line follows the start line.
/// </summary>
public sealed class DeadLetterSinkCheck(IDeadLetterSink sink, IHostApplicationLifetime lifetime, ILogger<DeadLetterSinkCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await lifetime.WaitForStartAsync(stoppingToken);
            if (await sink.CheckAsync(stoppingToken) is null) logger.LogInformation("Dead letters go to {Sink}", sink.Description);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
