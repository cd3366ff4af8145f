using System.Globalization;
using System.Text;
using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data.Synthetic;

/// <summary>A schema of a shop's click stream, nothing like Criteo's, and helpers to read its synthetic events.</summary>
internal static class SchemaEvents
{
    /// <summary>
    /// Four dense features (a count, a share, a standardized measurement, another count) and six sparse ones: two
    /// integer ids, three string categories and a multi-valued list of string tags pooled by mean.
    /// </summary>
    public static FeatureSchema Shop { get; } = new(
        "clicked",
        [
            new DenseFeature("price", DenseTransform.Log1p),
            new DenseFeature("discount"),
            new DenseFeature("score", DenseTransform.Standardize),
            new DenseFeature("views", DenseTransform.Log1p),
        ],
        [
            new SparseFeature("user_id", 2_000),
            new SparseFeature("item_id", 1_000),
            new SparseFeature("category", 200),
            new SparseFeature("device", 20),
            new SparseFeature("country", 100),
            new SparseFeature("tags", 500, Multi: true, MaxValues: 8, Pooling: Pooling.Mean),
        ]);

    public static int Tags => Shop.IndexOfSparse("tags");

    /// <summary>The event as text: label, dense values (round-trip precision), and each sparse value with its kind.</summary>
    public static string Describe(ClickEvent e)
    {
        var text = new StringBuilder(e.Label ? "1" : "0");
        foreach (double? value in e.Dense)
            text.Append(' ').Append(value?.ToString("R", CultureInfo.InvariantCulture) ?? "-");
        for (int j = 0; j < e.Schema.Sparse.Count; j++)
        {
            text.Append(" |");
            for (int i = 0; i < e.CountOf(j); i++)
            {
                var value = e.ValueOf(j, i);
                text.Append(' ').Append(value.Kind == SparseValueKind.Integer ? "#" : "'").Append(value.ToString());
            }
        }
        return text.ToString();
    }
}
