using System.Text.Json;
using System.Text.Json.Serialization;
using Recurring.Core.Data;
using Recurring.Core.Model;

namespace Recurring.Checkpointing;

/// <summary>
/// model.json: what a serving stack needs to compute this checkpoint's predictions from model.safetensors alone,
/// in any framework: how each field of an event becomes a model input (transforms with their measured statistics,
/// the hashing algorithm and each table's rows), and the forward pass (tensor names, layer widths in order,
/// activations, the interaction). docs/serving.md is its reference. It is derived from <see cref="ModelShape"/> and
/// the naming conventions of <see cref="DlrmModel"/>, written beside the tensors, and listed in the manifest's files,
/// so it is verified like them.
/// </summary>
public sealed record ModelDescription
{
    /// <summary>Raised only when a reader of an older version could no longer compute the forward pass from the description.</summary>
    public const int CurrentVersion = 1;

    public const string DlrmArchitecture = "dlrm";

    /// <summary>The hashing of docs/features.md ("Hashing"): FNV-1a 64 of canonical bytes, SplitMix64's finaliser, 1 + h mod (rows - 1).</summary>
    public const string HashingAlgorithm = "fnv1a64-splitmix64";

    public const string Float32 = "F32";

    public required int Version { get; init; }
    public required string Architecture { get; init; }

    /// <summary>The field holding the 0/1 label (only for evaluation: the model does not read it).</summary>
    public required string Label { get; init; }

    /// <summary>The bottom MLP's inputs, in order.</summary>
    public required IReadOnlyList<DenseInputDescription> Dense { get; init; }

    /// <summary>One embedding table per sparse feature, in schema (and fused-table) order.</summary>
    public required IReadOnlyList<SparseInputDescription> Sparse { get; init; }

    public required HashingDescription Hashing { get; init; }
    public required EmbeddingDescription Embeddings { get; init; }
    public required IReadOnlyList<LayerDescription> Bottom { get; init; }
    public required InteractionDescription Interaction { get; init; }
    public required IReadOnlyList<LayerDescription> Top { get; init; }

    /// <summary>What turns the top MLP's single output (a logit) into the click probability.</summary>
    public required OutputActivation Output { get; init; }

    public static ModelDescription Of(DlrmModel model) => From(ModelShape.Of(model));

    /// <summary>The description of a model of this shape, at its current (possibly pruned) widths.</summary>
    public static ModelDescription From(ModelShape shape)
    {
        var schema = shape.Features;
        var config = shape.ToConfig();
        var offsets = new long[schema.Sparse.Count];
        for (int j = 1; j < offsets.Length; j++) offsets[j] = offsets[j - 1] + schema.Sparse[j - 1].Rows;
        var slotOf = new int[schema.Sparse.Count];
        var order = config.InteractionOrder;
        for (int slot = 0; slot < order.Count; slot++) slotOf[order[slot]] = slot + 1;

        return new ModelDescription
        {
            Version = CurrentVersion,
            Architecture = DlrmArchitecture,
            Label = schema.Label,
            Dense = schema.Dense.Select((d, i) =>
            {
                var moments = d.Transform == DenseTransform.Standardize ? shape.Statistics.Dense[d.Name] : null;
                return new DenseInputDescription(i, d.Name, d.Transform, d.Default, moments?.Mean, moments?.Variance);
            }).ToArray(),
            Sparse = schema.Sparse.Select((s, j) => new SparseInputDescription(j, s.Name, s.Rows, offsets[j], s.Multi, s.MaxValues, s.Pooling, slotOf[j])).ToArray(),
            Hashing = new HashingDescription(HashingAlgorithm, MissingRow: 0),
            Embeddings = new EmbeddingDescription(FusedEmbeddingCollection.WeightName, config.TotalRows, shape.EmbeddingDim, Float32),
            Bottom = Layers(DlrmModel.BottomName, shape.CurrentWidths.Bottom, reluOnOutput: true),
            Interaction = new InteractionDescription(
                InteractionKind.Dot,
                [DlrmModel.BottomName, .. order.Select(j => schema.Sparse[j].Name)],
                config.InteractionFeatures * (config.InteractionFeatures - 1) / 2,
                config.TopInput),
            Top = Layers(DlrmModel.TopName, shape.CurrentWidths.Top, reluOnOutput: false),
            Output = OutputActivation.Sigmoid,
        };
    }

    private static LayerDescription[] Layers(string mlp, IReadOnlyList<int> widths, bool reluOnOutput) =>
        Enumerable.Range(0, widths.Count - 1).Select(i => new LayerDescription(
            Mlp.WeightName(mlp, i), Mlp.BiasName(mlp, i), widths[i], widths[i + 1],
            i < widths.Count - 2 || reluOnOutput ? LayerActivation.Relu : LayerActivation.None)).ToArray();

    /// <summary>Writes model.json (indented, camelCase, enums in kebab case, like manifest.json).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(destination, this, ManifestJson.Options, cancellationToken);

    /// <summary>Reads model.json; anything malformed throws <see cref="InvalidDataException"/>.</summary>
    public static async Task<ModelDescription> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        try
        {
            var description = await JsonSerializer.DeserializeAsync<ModelDescription>(source, ManifestJson.Options, cancellationToken)
                ?? throw new InvalidDataException($"{CheckpointFiles.Description} is null.");
            if (description.Version > CurrentVersion)
                throw new InvalidDataException($"{CheckpointFiles.Description} has version {description.Version}, newer than this build reads ({CurrentVersion}).");
            return description;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{CheckpointFiles.Description} does not describe a model: {e.Message}");
        }
    }
}

/// <param name="Index">Its column in the bottom MLP's input.</param>
/// <param name="Default">The raw value assumed when an event lacks one (then transformed); null: the input is 0.</param>
/// <param name="Mean">For <see cref="DenseTransform.Standardize"/>: the measured mean; null otherwise.</param>
/// <param name="Variance">For <see cref="DenseTransform.Standardize"/>: the measured population variance; null otherwise.</param>
public sealed record DenseInputDescription(int Index, string Name, DenseTransform Transform, double? Default, double? Mean, double? Variance);

/// <param name="Index">Its table, in schema order.</param>
/// <param name="Rows">Rows of its table; a present value's row is 1 + h mod (Rows - 1), a missing one's row 0.</param>
/// <param name="Offset">Where its table starts in the fused embedding tensor.</param>
/// <param name="MaxValues">Values of a multi-valued feature's list that are kept (the first ones); the rest are dropped.</param>
/// <param name="InteractionSlot">Its position among the interaction's vectors (the bottom output is 0).</param>
public sealed record SparseInputDescription(int Index, string Name, int Rows, long Offset, bool Multi, int MaxValues, Pooling Pooling, int InteractionSlot);

/// <param name="MissingRow">The row of a missing value (and of an absent or empty list).</param>
public sealed record HashingDescription(string Algorithm, int MissingRow);

/// <param name="Tensor">The fused table's name in model.safetensors: [Rows, Dim].</param>
/// <param name="DType">Its element type, as safetensors spells it ("F32").</param>
public sealed record EmbeddingDescription(string Tensor, long Rows, int Dim, [property: JsonPropertyName("dtype")] string DType);

/// <summary>y = activation(x W^T + b), W [Outputs, Inputs], b [Outputs].</summary>
public sealed record LayerDescription(string Weight, string Bias, int Inputs, int Outputs, LayerActivation Activation);

public enum LayerActivation
{
    None,
    Relu,
}

public enum InteractionKind
{
    /// <summary>Pairwise dot products of the vectors, strict lower triangle row by row, after the bottom output.</summary>
    Dot,
}

public enum OutputActivation
{
    Sigmoid,
}

/// <param name="Features">The vectors in order: the bottom MLP's output, then one embedding per sparse feature.</param>
/// <param name="Pairs">Dot products kept: F (F - 1) / 2 for F vectors.</param>
/// <param name="Outputs">The top MLP's input width: the embedding dimension plus <paramref name="Pairs"/>.</param>
public sealed record InteractionDescription(InteractionKind Kind, IReadOnlyList<string> Features, int Pairs, int Outputs);
