using System.Buffers;
using System.Buffers.Text;

namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// The generator's view of an event's features, written when it draws them and read when the teacher scores them:
/// one implementation over a <see cref="ClickEvent"/> (any schema) and one over a <see cref="CriteoRecord"/>.
/// Implemented by structs, so generic code over them is specialised and calls nothing virtually.
/// </summary>
internal interface ISyntheticEventFeatures
{
    double? Dense(int feature);

    void SetDense(int feature, double? value);

    /// <summary>Values sparse feature <paramref name="table"/> holds (0: missing).</summary>
    int Count(int table);

    /// <summary>Makes sparse feature <paramref name="table"/> missing.</summary>
    void SetMissing(int table);

    /// <summary>Appends the value showing <paramref name="id"/>, as an integer or as a string (<see cref="SyntheticValues"/>).</summary>
    void Add(int table, uint id, SparseValueKind kind);

    /// <summary>
    /// Value <paramref name="index"/> of sparse feature <paramref name="table"/> as the integer the generator drew it
    /// from; false for a string that is not 8 hexadecimal digits, which no drawn ID shows as.
    /// </summary>
    bool TryValue(int table, int index, out ulong value);
}

/// <summary>How a drawn ID is shown as a string value, and read back.</summary>
internal static class SyntheticValues
{
    /// <summary>A string value is the ID's 8 lowercase hexadecimal digits, as Criteo shows its hashed categories.</summary>
    public const int StringLength = 8;

    private static readonly StandardFormat LowercaseHex = new('x', StringLength);

    public static void Format(uint id, Span<byte> utf8) => Utf8Formatter.TryFormat(id, utf8, out _, LowercaseHex);

    public static bool TryParse(ReadOnlySpan<byte> utf8, out uint id)
    {
        id = 0;
        return utf8.Length == StringLength && Utf8Parser.TryParse(utf8, out id, out int consumed, 'x') && consumed == StringLength;
    }
}

internal readonly struct ClickEventFeatures(ClickEvent target) : ISyntheticEventFeatures
{
    public double? Dense(int feature) => target.Dense[feature];

    public void SetDense(int feature, double? value) => target.Dense[feature] = value;

    public int Count(int table) => target.CountOf(table);

    public void SetMissing(int table) => target.ClearSparse(table);

    public void Add(int table, uint id, SparseValueKind kind)
    {
        if (kind == SparseValueKind.Integer)
        {
            target.AddInteger(table, id);
            return;
        }
        Span<byte> utf8 = stackalloc byte[SyntheticValues.StringLength];
        SyntheticValues.Format(id, utf8);
        target.AddString(table, utf8);
    }

    public bool TryValue(int table, int index, out ulong value)
    {
        var sparse = target.ValueOf(table, index);
        if (sparse.Kind == SparseValueKind.Integer)
        {
            value = unchecked((ulong)sparse.Integer);
            return true;
        }
        bool parsed = SyntheticValues.TryParse(sparse.Utf8, out uint id);
        value = id;
        return parsed;
    }
}

/// <summary>A Criteo record: every sparse value an integer, at most one per feature.</summary>
internal readonly struct CriteoRecordFeatures(CriteoRecord target) : ISyntheticEventFeatures
{
    public double? Dense(int feature) => target.Dense[feature];

    public void SetDense(int feature, double? value) => target.Dense[feature] = value;

    public int Count(int table) => target.Categorical[table] is null ? 0 : 1;

    public void SetMissing(int table) => target.Categorical[table] = null;

    public void Add(int table, uint id, SparseValueKind kind) => target.Categorical[table] = id;

    public bool TryValue(int table, int index, out ulong value)
    {
        value = target.Categorical[table].GetValueOrDefault();
        return true;
    }
}
