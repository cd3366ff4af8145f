namespace Recurring.Core.Data;

/// <summary>
/// Turns a <see cref="CriteoRecord"/> into DLRM inputs: 13 transformed dense values and one embedding row per
/// categorical feature. This is a stable contract: trained embedding tables and checkpoints are only meaningful
/// under exactly these formulas, so they must never change.
/// <list type="bullet">
/// <item>Dense: <c>(float)log(1 + max(x, 0))</c>; a missing value becomes 0.</item>
/// <item>Categorical value <c>v</c> of table <c>t</c> (0-based) with <c>rows[t]</c> rows: row
/// <c>1 + Mix64(v ^ Seed(t)) mod (rows[t] - 1)</c>; a missing value gets row 0, reserved for it.
/// <c>Seed(t) = 0x9E3779B97F4A7C15 * (t + 1)</c> (wrapping, 64-bit); <c>Mix64</c> is the SplitMix64
/// finaliser: <c>x ^= x &gt;&gt; 30; x *= 0xBF58476D1CE4E5B9; x ^= x &gt;&gt; 27; x *= 0x94D049BB133111EB;
/// x ^= x &gt;&gt; 31</c>.</item>
/// </list>
/// The result depends on nothing but these inputs: the same value maps to the same row on every run and machine.
/// </summary>
public sealed class FeatureHashing
{
    private readonly int[] _rowsPerTable;

    /// <param name="rowsPerTable">Embedding rows of each of the 26 tables, each at least 2: row 0 for missing
    /// values and at least one row for present ones.</param>
    public FeatureHashing(IReadOnlyList<int> rowsPerTable)
    {
        ArgumentNullException.ThrowIfNull(rowsPerTable);
        if (rowsPerTable.Count != CriteoRecord.CategoricalCount)
        {
            throw new ArgumentException(
                $"Expected {CriteoRecord.CategoricalCount} table sizes, one per categorical feature, but got {rowsPerTable.Count}.",
                nameof(rowsPerTable));
        }
        for (int table = 0; table < rowsPerTable.Count; table++)
        {
            if (rowsPerTable[table] < 2)
            {
                throw new ArgumentException(
                    $"Table {table} (C{table + 1}) has {rowsPerTable[table]} rows; each table needs at least 2: " +
                    "row 0 for missing values and one or more for present values.",
                    nameof(rowsPerTable));
            }
        }
        _rowsPerTable = rowsPerTable.ToArray();
    }

    public static float TransformDense(double? raw) => raw is { } x ? (float)Math.Log(1 + Math.Max(x, 0)) : 0f;

    /// <param name="table">0-based categorical feature (C1 is table 0).</param>
    public int RowOf(int table, ulong? value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(table);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(table, _rowsPerTable.Length);
        if (value is not { } present) return 0;
        ulong presentRows = (ulong)(_rowsPerTable[table] - 1);
        return 1 + (int)(Mix64(present ^ Seed(table)) % presentRows);
    }

    /// <summary>Fills <paramref name="dense13"/> with transformed dense values and <paramref name="rows26"/> with rows.</summary>
    public void Transform(CriteoRecord record, Span<float> dense13, Span<long> rows26)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (dense13.Length != CriteoRecord.DenseCount)
            throw new ArgumentException($"Expected room for {CriteoRecord.DenseCount} dense values, got {dense13.Length}.", nameof(dense13));
        if (rows26.Length != CriteoRecord.CategoricalCount)
            throw new ArgumentException($"Expected room for {CriteoRecord.CategoricalCount} rows, got {rows26.Length}.", nameof(rows26));

        for (int i = 0; i < dense13.Length; i++) dense13[i] = TransformDense(record.Dense[i]);
        for (int table = 0; table < rows26.Length; table++) rows26[table] = RowOf(table, record.Categorical[table]);
    }

    private static ulong Seed(int table) => unchecked(0x9E3779B97F4A7C15UL * (ulong)(table + 1));

    private static ulong Mix64(ulong x)
    {
        unchecked
        {
            x ^= x >> 30;
            x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 27;
            x *= 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return x;
        }
    }
}
