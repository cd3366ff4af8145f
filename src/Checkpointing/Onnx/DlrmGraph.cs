using Recurring.Core.Data;
using Recurring.Core.Model;

namespace Recurring.Checkpointing.Onnx;

/// <summary>
/// The forward pass of a <see cref="DlrmModel"/> as ONNX operators, step by step as the model computes it
/// (<see cref="DlrmModel.Forward"/>, <see cref="FusedEmbeddingCollection"/>, <see cref="DotInteraction"/>), so that
/// ONNX Runtime's probabilities equal the trainer's: Gemm and Relu for the MLPs, one Gather from the fused table,
/// EmbeddingBag's pooling with ScatterND's add, the kept pairwise products of a batched MatMul, Sigmoid.
/// </summary>
internal static class DlrmGraph
{
    /// <summary>Adds the model's inputs, weights, nodes and outputs to <paramref name="graph"/>.</summary>
    public static void Build(DlrmModel model, GraphBuilder graph)
    {
        var config = model.Config;
        var schema = config.Features;
        var inputs = OnnxSignature.Inputs(schema).ToDictionary(i => i.Name, i => graph.Input(i));
        var table = graph.Weight(FusedEmbeddingCollection.WeightName, model.Embeddings.Weight);

        var bottom = Mlp(graph, model.Bottom, inputs[OnnxSignature.Dense]);
        var interacting = new List<string> { graph.Node("Unsqueeze", "bottom_feature", [bottom, graph.Int64s("axis_1", [1])]) };
        if (schema.SingleValued.Count > 0)
            interacting.Add(SingleValued(graph, model.Embeddings, schema, table, inputs[OnnxSignature.Rows]));
        if (schema.MultiValued.Count > 0)
        {
            var batch = graph.Node("Slice", "batch_size", [graph.Node("Shape", "dense_shape", [inputs[OnnxSignature.Dense]]), graph.Int64s("start_0", [0]), graph.Int64s("end_1", [1])]);
            interacting.Add(Pooled(graph, model.Embeddings, schema, table, inputs[OnnxSignature.BagRows], inputs[OnnxSignature.BagOffsets], batch));
        }

        var logits = Mlp(graph, model.Top, Interaction(graph, model.Interaction, bottom, interacting));
        var logit = graph.Node("Squeeze", "logit_1d", [logits, graph.Int64s("axis_1", [1])]);
        var computed = new Dictionary<string, string> { [OnnxSignature.Logit] = logit, [OnnxSignature.Probability] = graph.Node("Sigmoid", "sigmoid", [logit]) };
        foreach (var output in OnnxSignature.Outputs) graph.Output(output, computed[output.Name]);
    }

    /// <summary>Each layer as Gemm(x, W, b) with W transposed (PyTorch's linear), Relu between layers and after the last where the MLP has it.</summary>
    private static string Mlp(GraphBuilder graph, Mlp mlp, string input)
    {
        var x = input;
        for (int layer = 0; layer < mlp.LayerCount; layer++)
        {
            var weight = graph.Weight(Core.Model.Mlp.WeightName(mlp.Name, layer), mlp.Weight(layer));
            var bias = graph.Weight(Core.Model.Mlp.BiasName(mlp.Name, layer), mlp.Bias(layer));
            x = graph.Node("Gemm", $"{mlp.Name}.{layer}.linear", [x, weight, bias], GraphBuilder.Attribute("transB", 1));
            if (layer < mlp.LayerCount - 1 || mlp.ReluOnOutput) x = graph.Node("Relu", $"{mlp.Name}.{layer}.relu", [x]);
        }
        return x;
    }

    /// <summary>[batch, S1, dim]: each single-valued feature's row moved to its table's place in the fused table, gathered.</summary>
    private static string SingleValued(GraphBuilder graph, FusedEmbeddingCollection embeddings, FeatureSchema schema, string table, string rows)
    {
        var starts = graph.Int64s("single_table_starts", schema.SingleValued.Select(j => embeddings.Offsets[j]).ToArray());
        var fused = graph.Node("Add", "single_fused_rows", [rows, starts]);
        return graph.Node("Gather", "single_embeddings", [table, fused], GraphBuilder.Attribute("axis", 0));
    }

    /// <summary>
    /// [batch, M, dim]: the multi-valued features pooled as the model pools them. Each value's bag follows from the
    /// offsets (a cumulative count of the bags that start at or before it); its feature is the bag modulo M, which
    /// moves its row into the fused table; values are weighted (1, or 1 / bag size for mean pooling) and added into
    /// their bags in order. An empty bag is a missing list, whose embedding is its table's row 0, as in
    /// <see cref="FeatureBatch"/>.
    /// </summary>
    private static string Pooled(GraphBuilder graph, FusedEmbeddingCollection embeddings, FeatureSchema schema, string table,
        string bagRows, string bagOffsets, string batch)
    {
        int features = schema.MultiValued.Count;
        var width = graph.Int64("multi_features", features);
        var starts = graph.Int64s("multi_table_starts", schema.MultiValued.Select(j => embeddings.Offsets[j]).ToArray());

        var bagStarts = graph.Node("Slice", "bag_starts", [bagOffsets, graph.Int64s("start_0", [0]), graph.Int64s("end_last", [-1])]);
        var bagEnds = graph.Node("Slice", "bag_ends", [bagOffsets, graph.Int64s("start_1", [1]), graph.Int64s("end_max", [long.MaxValue])]);
        var sizes = graph.Node("Sub", "bag_sizes", [bagEnds, bagStarts]);

        // A 1 at every later bag's start, counted cumulatively: value i lies in bag #{b > 0 : start(b) <= i}. Empty
        // bags share a start (and add up there); bags that start at the end fall on the extra last slot.
        var values = graph.Node("Shape", "bag_values", [bagRows]);
        var laterStarts = graph.Node("Slice", "later_bag_starts", [bagStarts, graph.Int64s("start_1", [1]), graph.Int64s("end_max", [long.MaxValue])]);
        var slots = graph.Node("Add", "bag_marks_length", [values, graph.Int64s("one", [1])]);
        var zeros = graph.Node("ConstantOfShape", "bag_marks_zeros", [slots], GraphBuilder.FillValue(0L));
        var ones = graph.Node("ConstantOfShape", "bag_marks_ones", [graph.Node("Shape", "later_bag_count", [laterStarts])], GraphBuilder.FillValue(1L));
        var marks = graph.Node("ScatterElements", "bag_marks", [zeros, laterStarts, ones], GraphBuilder.Attribute("axis", 0), GraphBuilder.Attribute("reduction", "add"));
        var counted = graph.Node("CumSum", "bag_marks_counted", [marks, graph.Int64("axis_0_scalar", 0)]);
        var bagOf = graph.Node("Slice", "bag_of_value", [counted, graph.Int64s("start_0", [0]), values]);

        var featureOf = graph.Node("Mod", "feature_of_value", [bagOf, width]);
        var fused = graph.Node("Add", "bag_fused_rows", [bagRows, graph.Node("Gather", "value_table_start", [starts, featureOf], GraphBuilder.Attribute("axis", 0))]);
        var looked = graph.Node("Gather", "bag_value_embeddings", [table, fused], GraphBuilder.Attribute("axis", 0));

        var means = schema.MultiValued.Select(j => schema.Sparse[j].Pooling == Pooling.Mean).ToArray();
        if (means.Any(mean => mean))
        {
            // 1 / size in float32, as the batch computes it; a sum-pooled feature's values keep weight 1.
            var atLeastOne = graph.Node("Max", "bag_sizes_at_least_1", [sizes, graph.Int64("one_scalar", 1)]);
            var inverse = graph.Node("Reciprocal", "bag_inverse_size", [graph.Node("Cast", "bag_sizes_float", [atLeastOne], GraphBuilder.CastToFloat32())]);
            var meanValue = graph.Node("Gather", "value_is_mean", [graph.Bools("feature_is_mean", means), featureOf], GraphBuilder.Attribute("axis", 0));
            var weight = graph.Node("Where", "value_weight", [meanValue, graph.Node("Gather", "value_inverse_size", [inverse, bagOf], GraphBuilder.Attribute("axis", 0)), graph.Float("one_float", 1f)]);
            looked = graph.Node("Mul", "bag_weighted_embeddings", [looked, graph.Node("Unsqueeze", "value_weight_column", [weight, graph.Int64s("axis_1", [1])])]);
        }

        var bags = graph.Node("Shape", "bag_count", [sizes]);
        var pooledShape = graph.Node("Concat", "pooled_shape", [bags, graph.Int64s("dim", [embeddings.Dim])], GraphBuilder.Attribute("axis", 0));
        var empty = graph.Node("ConstantOfShape", "pooled_zeros", [pooledShape], GraphBuilder.FillValue(0f));
        var pooled = graph.Node("ScatterND", "pooled", [empty, graph.Node("Unsqueeze", "bag_of_value_column", [bagOf, graph.Int64s("axis_1", [1])]), looked],
            GraphBuilder.Attribute("reduction", "add"));

        // Empty bags: row 0 of the bag's table.
        var bagIndex = graph.Node("Range", "bag_index", [graph.Int64("zero_scalar", 0), graph.Node("Squeeze", "bag_count_scalar", [bags]), graph.Int64("one_scalar", 1)]);
        var missingRow = graph.Node("Gather", "bag_table_start", [starts, graph.Node("Mod", "feature_of_bag", [bagIndex, width])], GraphBuilder.Attribute("axis", 0));
        var missing = graph.Node("Gather", "missing_list_embeddings", [table, missingRow], GraphBuilder.Attribute("axis", 0));
        var isEmpty = graph.Node("Unsqueeze", "bag_is_empty_column", [graph.Node("Equal", "bag_is_empty", [sizes, graph.Int64("zero_scalar", 0)]), graph.Int64s("axis_1", [1])]);
        pooled = graph.Node("Where", "pooled_with_missing", [isEmpty, missing, pooled]);

        var shape = graph.Node("Concat", "pooled_3d_shape", [batch, graph.Int64s("multi_dim", [features, embeddings.Dim])], GraphBuilder.Attribute("axis", 0));
        return graph.Node("Reshape", "pooled_embeddings", [pooled, shape]);
    }

    /// <summary>
    /// [batch, dim + pairs]: the bottom output, then the kept pairwise dot products of all interacting features, in the
    /// order <see cref="DotInteraction.KeptProducts"/> gives them.
    /// </summary>
    private static string Interaction(GraphBuilder graph, DotInteraction interaction, string bottom, IReadOnlyList<string> interacting)
    {
        var all = graph.Node("Concat", "interaction_features", interacting, GraphBuilder.Attribute("axis", 1));
        var transposed = graph.Node("Transpose", "interaction_features_t", [all], GraphBuilder.Attribute("perm", [0L, 2, 1]));
        var products = graph.Node("MatMul", "pairwise_products", [all, transposed]);
        // Shape entry 0 copies the batch size (allowzero = 0), so an empty batch reshapes too.
        var flat = graph.Node("Reshape", "pairwise_products_flat", [products, graph.Int64s("products_shape", [0, (long)interaction.Features * interaction.Features])]);
        var kept = graph.Node("Gather", "kept_products", [flat, graph.Int64s("kept_product_index", interaction.KeptProducts())], GraphBuilder.Attribute("axis", 1));
        return graph.Node("Concat", "top_input", [bottom, kept], GraphBuilder.Attribute("axis", 1));
    }
}
