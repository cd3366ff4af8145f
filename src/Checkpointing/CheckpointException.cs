namespace Recurring.Checkpointing;

/// <summary>A checkpoint operation that cannot succeed as asked; the message says why and what was left as it was.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
