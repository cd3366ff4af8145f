using System.ComponentModel;

namespace Recurring.Core.Growth;

/// <summary>Where the Adagrad accumulators of regrown neurons start (Offline:Amgp:RegrownOptimizerState).</summary>
[TypeConverter(typeof(KebabCaseEnumConverter<RegrownOptimizerState>))]
public enum RegrownOptimizerState
{
    /// <summary>
    /// At zero, as for a fresh parameter: a regrown weight's first Adagrad step has the full learning rate whatever
    /// its gradient's size (lr·g/√g² = lr·sign g), while its trained peers take steps their accumulated history shrinks.
    /// </summary>
    Zero,

    /// <summary>
    /// At the mean of the kept neurons' accumulators in the same tensor (per input column for the incoming weights,
    /// per output row for the outgoing ones): regrown weights step about as far as their peers from the start.
    /// </summary>
    KeptMean,
}
