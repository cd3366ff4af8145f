namespace Recurring.Core.Data;

/// <summary>
/// One click event in the Criteo layout: a label, 13 integer ("dense") features and 26 categorical features given
/// as hexadecimal strings. Any feature may be missing (null). Instances are mutable so a reader can refill one
/// record per line instead of allocating.
/// </summary>
public sealed class CriteoRecord
{
    public const int DenseCount = 13;
    public const int CategoricalCount = 26;

    /// <summary>True when the impression was clicked.</summary>
    public bool Label { get; set; }

    /// <summary>Raw dense values (Criteo gives integers, possibly negative); null when missing.</summary>
    public double?[] Dense { get; } = new double?[DenseCount];

    /// <summary>Categorical values as parsed from hex (up to 16 hex digits); null when missing.</summary>
    public ulong?[] Categorical { get; } = new ulong?[CategoricalCount];

    public void CopyTo(CriteoRecord target)
    {
        target.Label = Label;
        Array.Copy(Dense, target.Dense, DenseCount);
        Array.Copy(Categorical, target.Categorical, CategoricalCount);
    }

    public CriteoRecord Clone()
    {
        var copy = new CriteoRecord();
        CopyTo(copy);
        return copy;
    }
}
