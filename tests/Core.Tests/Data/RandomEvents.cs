using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

/// <summary>Seeded random events of any schema: some values missing, multi-valued features with 0 to MaxValues + 2 string values.</summary>
internal sealed class RandomEvents(FeatureSchema schema, int seed)
{
    private readonly Random _random = new(seed);

    public ClickEvent Next()
    {
        var e = new ClickEvent(schema) { Label = _random.Next(4) == 0 };
        for (int i = 0; i < schema.Dense.Count; i++) e.Dense[i] = _random.Next(5) == 0 ? null : _random.NextDouble() * 20 - 5;
        for (int j = 0; j < schema.Sparse.Count; j++)
        {
            var feature = schema.Sparse[j];
            if (feature.Multi)
            {
                int count = _random.Next(feature.MaxValues + 3);
                for (int v = 0; v < count; v++) e.AddString(j, $"tag{_random.Next(6)}");
            }
            else if (_random.Next(6) != 0)
            {
                e.AddInteger(j, _random.Next(40) - 5);
            }
        }
        return e;
    }

    /// <summary>A batch of <paramref name="count"/> events, encoded by <paramref name="encoder"/>.</summary>
    public FeatureBatch Batch(FeatureEncoder encoder, int count)
    {
        var batch = new FeatureBatch(schema, count);
        for (int i = 0; i < count; i++) batch.Add(Next(), encoder);
        return batch;
    }

    /// <summary>The same event under another schema: the features both have by name, the rest missing.</summary>
    public static ClickEvent Project(ClickEvent e, FeatureSchema into)
    {
        var projected = new ClickEvent(into) { Label = e.Label };
        for (int i = 0; i < into.Dense.Count; i++)
            if (e.Schema.IndexOfDense(into.Dense[i].Name) is var at and >= 0) projected.Dense[i] = e.Dense[at];
        for (int j = 0; j < into.Sparse.Count; j++)
        {
            int at = e.Schema.IndexOfSparse(into.Sparse[j].Name);
            if (at < 0) continue;
            for (int v = 0; v < e.CountOf(at); v++) projected.Add(j, e.ValueOf(at, v));
        }
        return projected;
    }
}
