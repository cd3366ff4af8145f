using System.ComponentModel;

namespace Recurring.Core.Growth;

/// <summary>What a growth puts in place of the neurons the prune before it removed (Offline:Amgp:Regrowth).</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<Regrowth>))]
public enum Regrowth
{
    /// <summary>
    /// New neurons: small random incoming weights, zero bias, zero outgoing weights, so the MLP computes the same
    /// function right after growth and the new neurons start learning from nothing.
    /// </summary>
    Fresh,

    /// <summary>
    /// The removed neurons themselves, with the weights, biases and optimizer state they had when they were removed;
    /// the kept neurons keep what they learnt while pruned. Every neuron then carries all the training it has had.
    /// </summary>
    Restore,
}
