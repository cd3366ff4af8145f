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

    /// <summary>
    /// Fills this record from an event under a schema with Criteo's layout, each categorical value the integer's 64 bits
    /// (the reverse of <see cref="ClickEvent.SetFrom"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The schema has another layout, or a sparse value is a string, which Criteo's hex fields cannot carry.</exception>
    public void SetFrom(ClickEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!e.Schema.HasCriteoLayout)
            throw new ArgumentException("Criteo TSV holds only events of Criteo's layout (13 dense, 26 single-valued sparse features).", nameof(e));
        Label = e.Label;
        e.Dense.CopyTo(Dense, 0);
        for (int j = 0; j < CategoricalCount; j++)
        {
            if (e.CountOf(j) == 0)
            {
                Categorical[j] = null;
                continue;
            }
            var value = e.ValueOf(j, 0);
            if (value.Kind != SparseValueKind.Integer)
                throw new ArgumentException($"Sparse feature '{e.Schema.Sparse[j].Name}' holds a string; Criteo TSV carries integer categoricals only.", nameof(e));
            Categorical[j] = unchecked((ulong)value.Integer);
        }
    }

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
