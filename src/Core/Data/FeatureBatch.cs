namespace Recurring.Core.Data;

/// <summary>
/// A mini-batch in host memory, laid out as the model consumes it, for a schema with D dense features, S1
/// single-valued and M multi-valued sparse features:
/// <list type="bullet">
/// <item><see cref="Dense"/> [count, D]: transformed dense values.</item>
/// <item><see cref="Rows"/> [count, S1]: each single-valued feature's row in its own table (0: missing).</item>
/// <item>Multi-valued features as EmbeddingBag's jagged layout: one bag per event and multi-valued feature, bag
/// <c>b = event * M + m</c>; its rows are <see cref="BagRows"/>[<see cref="BagOffsets"/>[b] ..
/// <see cref="BagOffsets"/>[b + 1]). A missing or empty list is one value, row 0. <see cref="BagOf"/> gives each
/// value's bag and <see cref="BagWeights"/> its pooling weight (1 for sum, 1 / bag size for mean).</item>
/// <item><see cref="Labels"/> [count]: 0 or 1.</item>
/// </list>
/// Buffers are allocated once and reused from batch to batch.
/// </summary>
public sealed class FeatureBatch
{
    private readonly int[] _singleValued;
    private readonly int[] _multiValued;
    private readonly bool[] _meanPooled;

    public FeatureBatch(FeatureSchema schema, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A batch holds at least one event.");
        Schema = schema;
        Capacity = capacity;
        DenseWidth = schema.Dense.Count;
        SingleWidth = schema.SingleValued.Count;
        MultiWidth = schema.MultiValued.Count;
        _singleValued = schema.SingleValued.ToArray();
        _multiValued = schema.MultiValued.ToArray();
        _meanPooled = _multiValued.Select(j => schema.Sparse[j].Pooling == Pooling.Mean).ToArray();
        Dense = new float[capacity * DenseWidth];
        Rows = new long[capacity * SingleWidth];
        Labels = new float[capacity];
        BagOffsets = new long[capacity * MultiWidth + 1];
        int valuesPerEvent = _multiValued.Sum(j => schema.Sparse[j].MaxValues);
        BagRows = new long[capacity * valuesPerEvent];
        BagOf = new long[BagRows.Length];
        BagWeights = new float[BagRows.Length];
    }

    public FeatureSchema Schema { get; }
    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>D: dense features per event.</summary>
    public int DenseWidth { get; }

    /// <summary>S1: single-valued sparse features per event.</summary>
    public int SingleWidth { get; }

    /// <summary>M: multi-valued sparse features (bags) per event.</summary>
    public int MultiWidth { get; }

    public float[] Dense { get; }
    public long[] Rows { get; }
    public float[] Labels { get; }

    /// <summary>[count * M + 1]: where each bag's values start in <see cref="BagRows"/>; the last entry is <see cref="BagValueCount"/>.</summary>
    public long[] BagOffsets { get; }

    /// <summary>[<see cref="BagValueCount"/>]: rows of the multi-valued features' values, bag after bag.</summary>
    public long[] BagRows { get; }

    /// <summary>[<see cref="BagValueCount"/>]: the bag of each value.</summary>
    public long[] BagOf { get; }

    /// <summary>[<see cref="BagValueCount"/>]: each value's pooling weight.</summary>
    public float[] BagWeights { get; }

    /// <summary>Values in all bags of the batch.</summary>
    public int BagValueCount { get; private set; }

    /// <summary>Multi-valued values an event gave beyond MaxValues, summed over the batch (they were dropped).</summary>
    public long DroppedValues { get; private set; }

    public ReadOnlySpan<float> DenseOf(int index) => Dense.AsSpan(index * DenseWidth, DenseWidth);
    public ReadOnlySpan<long> RowsOf(int index) => Rows.AsSpan(index * SingleWidth, SingleWidth);

    /// <summary>Rows of multi-valued feature number <paramref name="multi"/> (0-based among them) of one event.</summary>
    public ReadOnlySpan<long> BagOfEvent(int index, int multi)
    {
        int bag = index * MultiWidth + multi;
        return BagRows.AsSpan((int)BagOffsets[bag], (int)(BagOffsets[bag + 1] - BagOffsets[bag]));
    }

    /// <summary>Appends one event, encoded by <paramref name="encoder"/> (built for this batch's schema).</summary>
    public void Add(ClickEvent e, FeatureEncoder encoder)
    {
        if (IsFull) throw new InvalidOperationException($"The batch is full ({Capacity} events).");
        var dense = Dense.AsSpan(Count * DenseWidth, DenseWidth);
        for (int i = 0; i < dense.Length; i++) dense[i] = encoder.EncodeDense(i, e.Dense[i]);

        var rows = Rows.AsSpan(Count * SingleWidth, SingleWidth);
        for (int k = 0; k < rows.Length; k++) rows[k] = encoder.RowOf(e, _singleValued[k]);

        for (int m = 0; m < _multiValued.Length; m++)
        {
            int feature = _multiValued[m];
            int bag = Count * MultiWidth + m;
            int values = e.CountOf(feature);
            int start = BagValueCount;
            BagOffsets[bag] = start;
            if (values == 0)
            {
                BagRows[start] = 0;
                values = 1;
            }
            else
            {
                for (int v = 0; v < values; v++) BagRows[start + v] = encoder.RowOf(feature, e.ValueOf(feature, v));
            }
            float weight = _meanPooled[m] ? 1f / values : 1f;
            BagOf.AsSpan(start, values).Fill(bag);
            BagWeights.AsSpan(start, values).Fill(weight);
            BagValueCount = start + values;
            BagOffsets[bag + 1] = BagValueCount;
        }
        DroppedValues += e.DroppedValues;
        Labels[Count] = e.Label ? 1f : 0f;
        Count++;
    }

    /// <summary>Appends one already encoded event of a schema without multi-valued features.</summary>
    public void Add(ReadOnlySpan<float> dense, ReadOnlySpan<long> rows, bool label)
    {
        if (IsFull) throw new InvalidOperationException($"The batch is full ({Capacity} events).");
        if (MultiWidth > 0) throw new InvalidOperationException("Encoded events can only be appended to a batch without multi-valued features.");
        dense.CopyTo(Dense.AsSpan(Count * DenseWidth, DenseWidth));
        rows.CopyTo(Rows.AsSpan(Count * SingleWidth, SingleWidth));
        Labels[Count] = label ? 1f : 0f;
        Count++;
    }

    public void Clear()
    {
        Count = 0;
        BagValueCount = 0;
        DroppedValues = 0;
        BagOffsets[0] = 0;
    }

    /// <summary>
    /// Empties the batch and fills it with the next events of <paramref name="source"/>: until it is full, the source
    /// ends, or <paramref name="limit"/> events were added. <paramref name="added"/> sees each event (with its true click
    /// probability, NaN when unknown) as it joins. Returns how many joined.
    /// </summary>
    /// <param name="e">Reused for every event read; of the batch's schema.</param>
    public int Refill(IClickEventSource source, FeatureEncoder encoder, ClickEvent e, long limit = long.MaxValue,
        Action<ClickEvent, double>? added = null)
    {
        Clear();
        while (!IsFull && Count < limit && source.TryRead(e, out double probability))
        {
            Add(e, encoder);
            added?.Invoke(e, probability);
        }
        return Count;
    }
}
