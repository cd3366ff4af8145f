namespace Recurring.Core.Data;

/// <summary>
/// A mini-batch in host memory, laid out as the model consumes it: transformed dense features [count, 13],
/// per-table embedding rows [count, 26] and labels. Buffers are reused from batch to batch.
/// </summary>
public sealed class FeatureBatch
{
    public const int DenseWidth = CriteoRecord.DenseCount;
    public const int TableCount = CriteoRecord.CategoricalCount;

    public FeatureBatch(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A batch holds at least one event.");
        Capacity = capacity;
        Dense = new float[capacity * DenseWidth];
        Rows = new long[capacity * TableCount];
        Labels = new float[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    public float[] Dense { get; }
    public long[] Rows { get; }
    public float[] Labels { get; }

    public ReadOnlySpan<float> DenseOf(int index) => Dense.AsSpan(index * DenseWidth, DenseWidth);
    public ReadOnlySpan<long> RowsOf(int index) => Rows.AsSpan(index * TableCount, TableCount);

    /// <summary>Appends one event already transformed by <see cref="FeatureHashing"/>.</summary>
    public void Add(CriteoRecord record, FeatureHashing hashing)
    {
        if (IsFull) throw new InvalidOperationException($"The batch is full ({Capacity} events).");
        hashing.Transform(record, Dense.AsSpan(Count * DenseWidth, DenseWidth), Rows.AsSpan(Count * TableCount, TableCount));
        Labels[Count] = record.Label ? 1f : 0f;
        Count++;
    }

    /// <summary>Appends one transformed event.</summary>
    public void Add(ReadOnlySpan<float> dense, ReadOnlySpan<long> rows, bool label)
    {
        if (IsFull) throw new InvalidOperationException($"The batch is full ({Capacity} events).");
        dense.CopyTo(Dense.AsSpan(Count * DenseWidth, DenseWidth));
        rows.CopyTo(Rows.AsSpan(Count * TableCount, TableCount));
        Labels[Count] = label ? 1f : 0f;
        Count++;
    }

    public void Clear() => Count = 0;
}
