using System.Text;

namespace Recurring.Core.Data;

/// <summary>Whether a sparse value is an integer id or a string; the two never hash alike.</summary>
public enum SparseValueKind : byte
{
    Integer = 1,
    String = 2,
}

/// <summary>One sparse value of an event: an integer, or a string as the UTF-8 bytes it arrived in.</summary>
public readonly ref struct SparseValue
{
    public SparseValue(long integer)
    {
        Kind = SparseValueKind.Integer;
        Integer = integer;
    }

    public SparseValue(ReadOnlySpan<byte> utf8)
    {
        Kind = SparseValueKind.String;
        Utf8 = utf8;
    }

    public SparseValueKind Kind { get; }

    /// <summary>The id when <see cref="Kind"/> is Integer (an unsigned 64-bit id is stored with the same bits).</summary>
    public long Integer { get; }

    /// <summary>The string's UTF-8 bytes when <see cref="Kind"/> is String.</summary>
    public ReadOnlySpan<byte> Utf8 { get; }

    public override string ToString() => Kind == SparseValueKind.Integer ? Integer.ToString(System.Globalization.CultureInfo.InvariantCulture) : Encoding.UTF8.GetString(Utf8);
}

/// <summary>
/// One labelled event under a <see cref="FeatureSchema"/>, as a parser or generator fills it: raw dense values
/// (null when missing) and each sparse feature's values (none when missing; at most one for a single-valued
/// feature, at most MaxValues for a multi-valued one). Mutable and meant to be reused: after the first few events
/// filling one allocates nothing.
/// </summary>
public sealed class ClickEvent
{
    private readonly int[] _firstSlot;
    private readonly int[] _counts;
    private readonly SparseValueKind[] _kinds;
    private readonly long[] _integers;
    private readonly int[] _stringStarts;
    private readonly int[] _stringLengths;
    private byte[] _strings = new byte[256];
    private int _stringBytes;

    public ClickEvent(FeatureSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Dense = new double?[schema.Dense.Count];
        _firstSlot = new int[schema.Sparse.Count];
        _counts = new int[schema.Sparse.Count];
        int slots = 0;
        for (int j = 0; j < schema.Sparse.Count; j++)
        {
            _firstSlot[j] = slots;
            slots += schema.Sparse[j].Capacity;
        }
        _kinds = new SparseValueKind[slots];
        _integers = new long[slots];
        _stringStarts = new int[slots];
        _stringLengths = new int[slots];
    }

    public FeatureSchema Schema { get; }

    public bool Label { get; set; }

    /// <summary>Raw dense values in schema order; null when missing.</summary>
    public double?[] Dense { get; }

    /// <summary>Values given beyond a multi-valued feature's MaxValues since the last <see cref="Clear"/>: dropped.</summary>
    public int DroppedValues { get; private set; }

    /// <summary>Makes every feature missing and the label 0.</summary>
    public void Clear()
    {
        Label = false;
        Array.Clear(Dense);
        Array.Clear(_counts);
        _stringBytes = 0;
        DroppedValues = 0;
    }

    /// <summary>Makes sparse feature <paramref name="feature"/> missing.</summary>
    public void ClearSparse(int feature) => _counts[feature] = 0;

    /// <summary>
    /// Adds <paramref name="values"/> (negative: takes them back) to <see cref="DroppedValues"/>, for a parser that
    /// drops values without adding them, or reads a field again.
    /// </summary>
    internal void CountDropped(int values) => DroppedValues += values;

    /// <summary>Values sparse feature <paramref name="feature"/> holds (0: missing).</summary>
    public int CountOf(int feature) => _counts[feature];

    public SparseValue ValueOf(int feature, int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_counts[feature], nameof(index));
        int slot = _firstSlot[feature] + index;
        return _kinds[slot] == SparseValueKind.Integer
            ? new SparseValue(_integers[slot])
            : new SparseValue(_strings.AsSpan(_stringStarts[slot], _stringLengths[slot]));
    }

    /// <summary>
    /// Appends an integer value. Returns false, and counts it in <see cref="DroppedValues"/>, when the feature already
    /// holds as many values as it may (one for a single-valued feature).
    /// </summary>
    public bool AddInteger(int feature, long value)
    {
        if (!TryTakeSlot(feature, out int slot)) return false;
        _kinds[slot] = SparseValueKind.Integer;
        _integers[slot] = value;
        return true;
    }

    /// <inheritdoc cref="AddInteger"/>
    public bool AddString(int feature, ReadOnlySpan<byte> utf8)
    {
        if (!TryTakeSlot(feature, out int slot)) return false;
        if (_stringBytes + utf8.Length > _strings.Length)
            Array.Resize(ref _strings, Math.Max(_strings.Length * 2, _stringBytes + utf8.Length));
        utf8.CopyTo(_strings.AsSpan(_stringBytes));
        _kinds[slot] = SparseValueKind.String;
        _stringStarts[slot] = _stringBytes;
        _stringLengths[slot] = utf8.Length;
        _stringBytes += utf8.Length;
        return true;
    }

    /// <summary>Appends a string value (encoded as UTF-8; allocates, so not for a parser's hot path).</summary>
    public bool AddString(int feature, string value) => AddString(feature, Encoding.UTF8.GetBytes(value));

    /// <summary>Appends a copy of <paramref name="value"/>.</summary>
    public bool Add(int feature, SparseValue value) =>
        value.Kind == SparseValueKind.Integer ? AddInteger(feature, value.Integer) : AddString(feature, value.Utf8);

    /// <summary>Makes <paramref name="target"/>, which must have the same schema, a copy of this event.</summary>
    public void CopyTo(ClickEvent target)
    {
        if (!ReferenceEquals(target.Schema, Schema) && target.Schema != Schema)
            throw new ArgumentException("The target event has another schema.", nameof(target));
        target.Clear();
        target.Label = Label;
        Dense.CopyTo(target.Dense, 0);
        for (int j = 0; j < _counts.Length; j++)
            for (int i = 0; i < _counts[j]; i++) target.Add(j, ValueOf(j, i));
        target.DroppedValues = DroppedValues;
    }

    /// <summary>
    /// Fills this event from a Criteo record; the schema must have Criteo's layout (13 dense, 26 single-valued
    /// sparse features). A categorical value, parsed from up to 16 hex digits, is the integer with those 64 bits.
    /// </summary>
    public void SetFrom(CriteoRecord record)
    {
        if (!Schema.HasCriteoLayout)
            throw new InvalidOperationException("Only an event under a schema with Criteo's layout (13 dense, 26 single-valued sparse features) takes a Criteo record.");
        Label = record.Label;
        record.Dense.CopyTo(Dense, 0);
        DroppedValues = 0;
        _stringBytes = 0;
        var categorical = record.Categorical;
        for (int j = 0; j < categorical.Length; j++)
        {
            if (categorical[j] is { } value)
            {
                int slot = _firstSlot[j];
                _kinds[slot] = SparseValueKind.Integer;
                _integers[slot] = unchecked((long)value);
                _counts[j] = 1;
            }
            else
            {
                _counts[j] = 0;
            }
        }
    }

    private bool TryTakeSlot(int feature, out int slot)
    {
        int count = _counts[feature];
        if (count >= Schema.Sparse[feature].Capacity)
        {
            DroppedValues++;
            slot = -1;
            return false;
        }
        slot = _firstSlot[feature] + count;
        _counts[feature] = count + 1;
        return true;
    }
}
