using Recurring.Core.Data;

namespace Recurring.Checkpointing.Onnx;

/// <summary>One input or output of the exported graph.</summary>
/// <param name="ElementType"><see cref="Float32"/> or <see cref="Int64"/>.</param>
/// <param name="Shape">Each dimension: a number, or the name of a size that each call chooses ("batch").</param>
public sealed record OnnxValue(string Name, string ElementType, IReadOnlyList<string> Shape, string Description)
{
    public const string Float32 = "float32";
    public const string Int64 = "int64";
}

/// <summary>
/// The inputs and outputs of the ONNX graph of a model under a <see cref="FeatureSchema"/> (docs/serving.md). The
/// graph takes what <see cref="FeatureBatch"/> holds: transformed dense values, each sparse value's row in its own
/// table (hashed as docs/features.md says), and the multi-valued features in EmbeddingBag's jagged layout.
/// </summary>
public static class OnnxSignature
{
    public const string Dense = "dense";
    public const string Rows = "rows";
    public const string BagRows = "bag_rows";
    public const string BagOffsets = "bag_offsets";
    public const string Probability = "probability";
    public const string Logit = "logit";

    /// <summary>Events in a call.</summary>
    public const string Batch = "batch";

    /// <summary>Values of all multi-valued features in a call.</summary>
    public const string BagValues = "bag_values";

    /// <summary>Entries of <see cref="BagOffsets"/>: batch * M + 1.</summary>
    public const string BagBounds = "bag_bounds";

    /// <summary>
    /// <see cref="Dense"/> always; <see cref="Rows"/> when the schema has single-valued sparse features;
    /// <see cref="BagRows"/> and <see cref="BagOffsets"/> when it has multi-valued ones.
    /// </summary>
    public static IReadOnlyList<OnnxValue> Inputs(FeatureSchema schema)
    {
        var inputs = new List<OnnxValue>
        {
            new(Dense, OnnxValue.Float32, [Batch, $"{schema.Dense.Count}"],
                $"Dense features after their transform, in schema order ({Names(schema.Dense.Select(d => d.Name))}); a missing value without a default is 0."),
        };
        if (schema.SingleValued.Count > 0)
        {
            inputs.Add(new(Rows, OnnxValue.Int64, [Batch, $"{schema.SingleValued.Count}"],
                $"Row of each single-valued sparse feature in its own table, in schema order ({Names(schema.SingleValued.Select(j => schema.Sparse[j].Name))}); 0 for a missing value."));
        }
        if (schema.MultiValued.Count > 0)
        {
            var multi = Names(schema.MultiValued.Select(j => schema.Sparse[j].Name));
            inputs.Add(new(BagRows, OnnxValue.Int64, [BagValues],
                $"Rows of the multi-valued features' values in their own tables, event after event and, within an event, feature after feature ({multi})."));
            inputs.Add(new(BagOffsets, OnnxValue.Int64, [BagBounds],
                $"batch * {schema.MultiValued.Count} + 1 positions in {BagRows}, from 0 to its length: bag b = event * {schema.MultiValued.Count} + feature holds {BagRows}[{BagOffsets}[b] .. {BagOffsets}[b + 1]); an empty bag is a missing list (row 0)."));
        }
        return inputs;
    }

    public static IReadOnlyList<OnnxValue> Outputs { get; } =
    [
        new(Probability, OnnxValue.Float32, [Batch], "Click probability of each event: sigmoid of the logit."),
        new(Logit, OnnxValue.Float32, [Batch], "The top MLP's output for each event."),
    ];

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);
}
