namespace Recurring.Checkpointing;

/// <summary>
/// The newest checkpoint was trained under a feature schema the configured one does not only extend: a configuration
/// problem (an ArgumentException, so commands report it as bad input), with one line per difference.
/// </summary>
public sealed class FeatureSchemaMismatchException(string checkpointId, IReadOnlyList<string> differences)
    : ArgumentException($"Checkpoint {checkpointId} was trained under other features than Features configures " +
                        $"(only appending features is accepted):{Environment.NewLine}{string.Join(Environment.NewLine, differences.Select(d => $"  {d}"))}")
{
    public string CheckpointId { get; } = checkpointId;
    public IReadOnlyList<string> Differences { get; } = differences;
}
