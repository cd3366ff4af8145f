namespace Recurring.Daemon;

/// <summary>
/// A start that must not go on until an operator acts (no checkpoint verifies, positions from another Kafka cluster,
/// brokers required at start but absent); exit code 2, so a supervisor does not retry it in a loop.
/// </summary>
public sealed class StartRefusedException(string message) : Exception(message)
{
    public const int ExitCode = 2;
}
