using System.Globalization;
using ParquetSharp;

namespace Recurring.Core.Data;

/// <summary>
/// One Parquet leaf column feeding one schema field (the label, a dense or a sparse feature), read in batches of
/// levels and values into reused buffers and handed on row by row.
/// </summary>
internal sealed class ParquetColumn
{
    private const int BatchLevels = 4096;

    private enum Role
    {
        Label,
        Dense,
        Sparse,
    }

    private readonly Role _role;
    private readonly int _feature;
    private readonly string _field;
    private readonly string _fileName;
    private readonly int _leaf;
    private readonly PhysicalType _type;
    private readonly bool _unsigned;
    private readonly short _maxDefinition;
    private readonly short _maxRepetition;
    private readonly short[] _definitions = new short[BatchLevels];
    private readonly short[] _repetitions = new short[BatchLevels];

    // Only the buffer of the column's physical type is allocated.
    private readonly bool[]? _booleans;
    private readonly int[]? _ints;
    private readonly long[]? _longs;
    private readonly float[]? _floats;
    private readonly double[]? _doubles;
    private readonly ByteArray[]? _bytes;

    private ColumnReader? _reader;
    private int _levels;
    private int _levelAt;
    private int _valueAt;

    private ParquetColumn(FeatureSchema schema, Role role, int feature, string field, string fileName, int leaf, ColumnDescriptor descriptor)
    {
        Schema = schema;
        _fileName = fileName;
        _role = role;
        _feature = feature;
        _field = field;
        _leaf = leaf;
        _type = descriptor.PhysicalType;
        _unsigned = descriptor.LogicalType is IntLogicalType { IsSigned: false };
        _maxDefinition = descriptor.MaxDefinitionLevel;
        _maxRepetition = descriptor.MaxRepetitionLevel;
        switch (_type)
        {
            case PhysicalType.Boolean: _booleans = new bool[BatchLevels]; break;
            case PhysicalType.Int32: _ints = new int[BatchLevels]; break;
            case PhysicalType.Int64: _longs = new long[BatchLevels]; break;
            case PhysicalType.Float: _floats = new float[BatchLevels]; break;
            case PhysicalType.Double: _doubles = new double[BatchLevels]; break;
            case PhysicalType.ByteArray: _bytes = new ByteArray[BatchLevels]; break;
            default: throw new InvalidOperationException($"Column '{field}' has physical type {_type}, which Match refuses.");
        }
    }

    public FeatureSchema Schema { get; }

    /// <summary>
    /// The file's column for each field of <paramref name="schema"/>: the label first, then the dense and the sparse
    /// features in schema order. Throws <see cref="InvalidDataException"/> naming the first column that is missing or
    /// of a type its field cannot take.
    /// </summary>
    public static ParquetColumn[] Match(FeatureSchema schema, SchemaDescriptor file, string fileName)
    {
        var leavesByField = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var fieldOrder = new List<string>();
        for (int i = 0; i < file.NumColumns; i++)
        {
            string top = TopLevelName(file.Column(i));
            if (!leavesByField.TryGetValue(top, out var leaves))
            {
                leavesByField[top] = leaves = [];
                fieldOrder.Add(top);
            }
            leaves.Add(i);
        }

        var columns = new List<ParquetColumn>();
        ParquetColumn Find(Role role, int feature, string field, string what, bool list)
        {
            if (!leavesByField.TryGetValue(field, out var leaves))
                throw new InvalidDataException($"{fileName} has no column '{field}' ({what}); its columns are {string.Join(", ", fieldOrder.Take(20))}{(fieldOrder.Count > 20 ? ", ..." : "")}.");
            var descriptor = file.Column(leaves[0]);
            string? refusal = leaves.Count > 1 ? $"is a group of {leaves.Count} columns" : Refuse(role, list, descriptor);
            if (refusal is not null)
                throw new InvalidDataException($"{fileName}: column '{field}' ({what}) {refusal}; {Needs(role, list)}.");
            return new ParquetColumn(schema, role, feature, field, fileName, leaves[0], descriptor);
        }

        columns.Add(Find(Role.Label, 0, schema.Label, "the label", list: false));
        for (int i = 0; i < schema.Dense.Count; i++)
            columns.Add(Find(Role.Dense, i, schema.Dense[i].Name, "a dense feature", list: false));
        for (int j = 0; j < schema.Sparse.Count; j++)
        {
            var feature = schema.Sparse[j];
            columns.Add(Find(Role.Sparse, j, feature.Name, feature.Multi ? "a multi-valued sparse feature" : "a sparse feature", feature.Multi));
        }
        return columns.ToArray();
    }

    /// <summary>Starts on this column's chunk in <paramref name="group"/>.</summary>
    public void Open(RowGroupReader group)
    {
        Close();
        _reader = group.Column(_leaf);
        _levels = _levelAt = _valueAt = 0;
    }

    public void Close()
    {
        _reader?.Dispose();
        _reader = null;
    }

    /// <summary>
    /// Puts this column's value(s) of the next row into <paramref name="into"/>; sets <paramref name="error"/>, when
    /// it is still null, to why the row is unusable (a missing or non-0/1 label, a non-finite dense value).
    /// </summary>
    public void ReadRow(ClickEvent into, ref (EventErrorKind Kind, string Reason)? error)
    {
        if (_levelAt == _levels && !Refill())
            throw new InvalidDataException($"{_fileName}: column '{_field}' ends before the last row of its row group.");
        if (_maxRepetition == 0)
        {
            bool present = _maxDefinition == 0 || _definitions[_levelAt] == _maxDefinition;
            _levelAt++;
            if (present) Deliver(into, _valueAt++, ref error);
            else if (_role == Role.Label) error ??= (EventErrorKind.MissingLabel, $"the label '{_field}' is missing");
            return;
        }
        do
        {
            if (_definitions[_levelAt] == _maxDefinition) Deliver(into, _valueAt++, ref error);
            _levelAt++;
        }
        while ((_levelAt < _levels || Refill()) && _repetitions[_levelAt] > 0);
    }

    private void Deliver(ClickEvent into, int value, ref (EventErrorKind Kind, string Reason)? error)
    {
        switch (_role)
        {
            case Role.Label:
                double label = RealAt(value);
                if (label == 1) into.Label = true;
                else if (label != 0) error ??= (EventErrorKind.BadLabel, $"the label '{_field}' is {label.ToString(CultureInfo.InvariantCulture)}, not 0 or 1");
                break;
            case Role.Dense:
                double dense = RealAt(value);
                if (double.IsFinite(dense)) into.Dense[_feature] = dense;
                else error ??= (EventErrorKind.NonFiniteDense, $"dense feature '{_field}' is {dense.ToString(CultureInfo.InvariantCulture)}, not a finite number");
                break;
            default:
                AddSparse(into, value);
                break;
        }
    }

    private double RealAt(int value) => _type switch
    {
        PhysicalType.Boolean => _booleans![value] ? 1 : 0,
        PhysicalType.Int32 => _unsigned ? (uint)_ints![value] : _ints![value],
        PhysicalType.Int64 => _unsigned ? (ulong)_longs![value] : _longs![value],
        PhysicalType.Float => _floats![value],
        _ => _doubles![value],
    };

    private unsafe void AddSparse(ClickEvent into, int value)
    {
        switch (_type)
        {
            case PhysicalType.Int32:
                into.AddInteger(_feature, _unsigned ? (uint)_ints![value] : _ints![value]);
                break;
            case PhysicalType.Int64:
                // An unsigned 64-bit id keeps its bits, as ClickEvent stores it.
                into.AddInteger(_feature, _longs![value]);
                break;
            default:
                var bytes = _bytes![value];
                // The bytes live in the reader's current page, valid until its next batch: copied into the event now.
                into.AddString(_feature, new ReadOnlySpan<byte>((void*)bytes.Pointer, bytes.Length));
                break;
        }
    }

    /// <summary>Reads the next batch of levels and values; false when the column chunk is done.</summary>
    private bool Refill()
    {
        var reader = _reader ?? throw new InvalidOperationException("No row group is open.");
        long values;
        long levels = _type switch
        {
            PhysicalType.Boolean => ((ColumnReader<bool>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _booleans, out values),
            PhysicalType.Int32 => ((ColumnReader<int>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _ints, out values),
            PhysicalType.Int64 => ((ColumnReader<long>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _longs, out values),
            PhysicalType.Float => ((ColumnReader<float>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _floats, out values),
            PhysicalType.Double => ((ColumnReader<double>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _doubles, out values),
            _ => ((ColumnReader<ByteArray>)reader).ReadBatch(BatchLevels, _definitions, _repetitions, _bytes, out values),
        };
        _levels = (int)levels;
        _levelAt = 0;
        _valueAt = 0;
        return _levels > 0;
    }

    private static string TopLevelName(ColumnDescriptor column)
    {
        using var path = column.Path;
        return path.ToDotVector()[0];
    }

    /// <summary>Why a column cannot feed a field of this role, or null when it can.</summary>
    private static string? Refuse(Role role, bool list, ColumnDescriptor column)
    {
        string described = Describe(column);
        if (column.MaxRepetitionLevel > 1) return $"is a nested list ({described})";
        if (column.MaxRepetitionLevel == 1 && !list) return $"is a list ({described})";
        if (column.LogicalType is DecimalLogicalType) return $"is a decimal ({described})";
        bool usable = role switch
        {
            Role.Label => column.PhysicalType is PhysicalType.Boolean or PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double,
            Role.Dense => column.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double,
            _ => column.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.ByteArray,
        };
        return usable ? null : $"is {described}";
    }

    private static string Needs(Role role, bool list) => role switch
    {
        Role.Label => "the label needs a boolean, int32, int64, float or double column holding 0 or 1",
        Role.Dense => "a dense feature needs a double, float, int32 or int64 column",
        _ when list => "a multi-valued sparse feature needs a list of int32, int64 or string (or a single such column)",
        _ => "a sparse feature needs an int32, int64 or string column",
    };

    private static string Describe(ColumnDescriptor column)
    {
        // Parquet's own spelling of the physical types: boolean, int32, int64, float, double, byte_array, ...
        string physical = column.PhysicalType switch
        {
            PhysicalType.ByteArray => "byte_array",
            PhysicalType.FixedLenByteArray => "fixed_len_byte_array",
            var other => other.ToString().ToLowerInvariant(),
        };
        string logical = column.LogicalType is NoneLogicalType ? "" : $" ({column.LogicalType})";
        return column.MaxRepetitionLevel > 0 ? $"list of {physical}{logical}" : $"{physical}{logical}";
    }
}
