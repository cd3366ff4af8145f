using System.ComponentModel;

namespace Recurring.Core.Growth;

/// <summary>What a growth puts in place of the neurons the prune before it removed (Offline:Amgp:Regrowth).</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<Regrowth>))]
public enum Regrowth
{
    /// <summary>
    /// New neurons: small random incoming weights, zero bias, random outgoing weights at
    /// <see cref="AmgpOptions.RegrownOutgoingScale"/> (zero at 0, so the MLP computes the same function right after
    /// growth), learning from nothing under a warm-up (<see cref="AmgpOptions.RegrownWarmupFraction"/>).
    /// </summary>
    Fresh,

    /// <summary>
    /// The removed neurons themselves, with the weights, biases and optimizer state they had when they were removed;
    /// the kept neurons keep what they learnt while pruned. Every neuron then carries all the training it has had.
    /// </summary>
    Restore,
}
