using ParquetSharp;

namespace Recurring.Core.Data;

/// <summary>
/// Writes events of a <see cref="FeatureSchema"/> as a Snappy-compressed Parquet file that
/// <see cref="ParquetEventSource"/> reads back equal: the label as an int32 0/1 column, each dense feature as a
/// nullable double column, each sparse feature as a nullable int64 or string column (a list column when
/// multi-valued), named after the fields. Events are buffered into row groups of <c>rowGroupRows</c>. A sparse
/// feature's column type is that of its values in the first row group (int64 when it has none), so a feature must
/// hold integers only or strings only.
/// </summary>
public sealed class ParquetEventWriter : IEventWriter
{
    /// <summary>About 10 MB of Criteo-preset events per row group: small enough to buffer, large enough to compress well.</summary>
    public const int DefaultRowGroupRows = 100_000;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly FeatureSchema _schema;
    private readonly int _rowGroupRows;
    private readonly int[] _labels;
    private readonly double?[][] _dense;
    private readonly SparseBuffer[] _sparse;
    private ParquetFileWriter? _file;
    private int _rows;
    private bool _disposed;

    public ParquetEventWriter(Stream stream, FeatureSchema schema, int rowGroupRows = DefaultRowGroupRows, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        if (!stream.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        _schema = schema;
        _rowGroupRows = rowGroupRows;
        _labels = new int[rowGroupRows];
        _dense = schema.Dense.Select(_ => new double?[rowGroupRows]).ToArray();
        _sparse = schema.Sparse.Select(f => new SparseBuffer(f)).ToArray();
    }

    /// <summary>Events written so far.</summary>
    public long Events { get; private set; }

    public void Write(ClickEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!ReferenceEquals(e.Schema, _schema) && e.Schema != _schema)
            throw new ArgumentException("The event has another schema than the file.", nameof(e));
        _labels[_rows] = e.Label ? 1 : 0;
        for (int i = 0; i < _dense.Length; i++) _dense[i][_rows] = e.Dense[i];
        for (int j = 0; j < _sparse.Length; j++) _sparse[j].Add(e, j);
        _rows++;
        Events++;
        if (_rows == _rowGroupRows) FlushRowGroup();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (_rows > 0 || _file is null) FlushRowGroup();
            _file!.Close();
        }
        finally
        {
            _file?.Dispose();
            if (!_leaveOpen) _stream.Dispose();
        }
    }

    private void FlushRowGroup()
    {
        _file ??= new ParquetFileWriter(_stream, Columns(), compression: Compression.Snappy, leaveOpen: true);
        using (var group = _file.AppendRowGroup())
        {
            using (var label = group.NextColumn().LogicalWriter<int>()) label.WriteBatch(_labels, 0, _rows);
            foreach (var dense in _dense)
            {
                using var writer = group.NextColumn().LogicalWriter<double?>();
                writer.WriteBatch(dense, 0, _rows);
            }
            foreach (var sparse in _sparse) sparse.WriteTo(group.NextColumn(), _rows);
            group.Close();
        }
        _rows = 0;
        foreach (var sparse in _sparse) sparse.Clear();
    }

    /// <summary>The file's columns, fixed when the first row group is written.</summary>
    private Column[] Columns()
    {
        var columns = new List<Column> { new Column<int>(_schema.Label) };
        columns.AddRange(_schema.Dense.Select(d => new Column<double?>(d.Name)));
        foreach (var sparse in _sparse) sparse.FixKind();
        columns.AddRange(_sparse.Select(s => s.Column()));
        return columns.ToArray();
    }

    /// <summary>One sparse feature's values over the buffered rows.</summary>
    private sealed class SparseBuffer(SparseFeature feature)
    {
        private readonly List<int> _counts = [];
        private readonly List<long> _integers = [];
        private readonly List<string> _strings = [];
        private SparseValueKind? _kind;

        public void Add(ClickEvent e, int index)
        {
            int count = e.CountOf(index);
            _counts.Add(count);
            for (int i = 0; i < count; i++)
            {
                var value = e.ValueOf(index, i);
                _kind ??= value.Kind;
                if (value.Kind != _kind)
                    throw new ArgumentException($"Sparse feature '{feature.Name}' has both integer and string values; its Parquet column holds {Spell(_kind.Value)}s only.");
                if (value.Kind == SparseValueKind.Integer) _integers.Add(value.Integer);
                else _strings.Add(System.Text.Encoding.UTF8.GetString(value.Utf8));
            }
        }

        /// <summary>Settles the column type: that of the values seen so far, int64 when there were none.</summary>
        public void FixKind() => _kind ??= SparseValueKind.Integer;

        public Column Column() => (feature.Multi, _kind) switch
        {
            (false, SparseValueKind.Integer) => new Column<long?>(feature.Name),
            (false, _) => new Column<string>(feature.Name),
            (true, SparseValueKind.Integer) => new Column<long[]>(feature.Name),
            (true, _) => new Column<string[]>(feature.Name),
        };

        public void WriteTo(ColumnWriter column, int rows)
        {
            if (_kind == SparseValueKind.Integer) Write(column, rows, _integers);
            else Write(column, rows, _strings);
        }

        private void Write<T>(ColumnWriter column, int rows, List<T> values)
        {
            if (feature.Multi)
            {
                var lists = new T[rows][];
                int next = 0;
                for (int r = 0; r < rows; r++)
                {
                    lists[r] = values.GetRange(next, _counts[r]).ToArray();
                    next += _counts[r];
                }
                using var writer = column.LogicalWriter<T[]>();
                writer.WriteBatch(lists);
                return;
            }
            if (typeof(T) == typeof(long))
            {
                var integers = (List<long>)(object)values;
                var cells = new long?[rows];
                for (int r = 0, next = 0; r < rows; r++) cells[r] = _counts[r] == 0 ? null : integers[next++];
                using var writer = column.LogicalWriter<long?>();
                writer.WriteBatch(cells);
            }
            else
            {
                var strings = (List<string>)(object)values;
                var cells = new string?[rows];
                for (int r = 0, next = 0; r < rows; r++) cells[r] = _counts[r] == 0 ? null : strings[next++];
                using var writer = column.LogicalWriter<string?>();
                writer.WriteBatch(cells);
            }
        }

        public void Clear()
        {
            _counts.Clear();
            _integers.Clear();
            _strings.Clear();
        }

        private static string Spell(SparseValueKind kind) => kind == SparseValueKind.Integer ? "integer" : "string";
    }
}
