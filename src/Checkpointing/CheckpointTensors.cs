using Recurring.Checkpointing.Safetensors;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing;

/// <summary>Which tensors a checkpoint stores, and how they are put back into a freshly built model and trainer.</summary>
internal static class CheckpointTensors
{
    public static IReadOnlyList<(string Name, Tensor Value)> Model(DlrmModel model) => model.NamedTensors().ToList();

    public static IReadOnlyList<(string Name, Tensor Value)> Optimizer(DlrmTrainer trainer)
    {
        if (trainer.EmbeddingOptimizer is null)
            throw new NotSupportedException($"Only {EmbeddingUpdateKind.RowWiseAdagrad} training can be checkpointed; {trainer.Options.EmbeddingUpdate} is a benchmark reference whose state is not exposed.");
        return [.. trainer.MlpOptimizer.NamedState(), (RowWiseAdagrad.StateName, trainer.EmbeddingOptimizer.Accumulator)];
    }

    // Checked in slices, so the temporary flags of the largest table stay small.
    private const long FiniteCheckElements = 1 << 22;

    /// <summary>The first tensor holding a NaN or an infinity, or null when every one is finite.</summary>
    public static string? FirstNonFinite(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        foreach (var (name, value) in tensors)
        {
            using var scope = NewDisposeScope();
            var flat = value.detach().reshape(-1);
            for (long start = 0; start < flat.shape[0]; start += FiniteCheckElements)
            {
                var slice = flat.narrow(0, start, Math.Min(FiniteCheckElements, flat.shape[0] - start));
                if (!slice.isfinite().all().item<bool>()) return name;
            }
        }
        return null;
    }

    /// <summary>
    /// Fills the embedding table in place (its shape is fixed by the configuration, and it is most of the memory) and
    /// replaces every MLP layer, whose width may differ from the configuration while AMGP has it pruned.
    /// </summary>
    public static void RestoreModel(SafetensorsReader reader, DlrmModel model, MlpWidths expectedWidths, CancellationToken cancellationToken)
    {
        RequireExactly(reader, model.NamedTensors().Select(t => t.Name), CheckpointFiles.Model);
        using var scope = NewDisposeScope();
        var layers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in reader.Tensors)
        {
            if (entry.Name == FusedEmbeddingCollection.WeightName) reader.ReadInto(entry, model.Embeddings.Weight, cancellationToken);
            else layers[entry.Name] = ReadFloat32(reader, entry, model.Device, cancellationToken);
        }
        foreach (var mlp in model.Mlps)
        {
            for (int layer = 0; layer < mlp.LayerCount; layer++)
            {
                try
                {
                    mlp.SetLayer(layer, layers[Mlp.WeightName(mlp.Name, layer)], layers[Mlp.BiasName(mlp.Name, layer)]);
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException(e.Message, e);
                }
            }
            RequireChained(mlp);
        }
        if (!model.Bottom.Widths.SequenceEqual(expectedWidths.Bottom) || !model.Top.Widths.SequenceEqual(expectedWidths.Top))
            throw new InvalidDataException($"The tensors give widths bottom [{string.Join(", ", model.Bottom.Widths)}], top [{string.Join(", ", model.Top.Widths)}], not the manifest's.");
    }

    public static void RestoreOptimizer(SafetensorsReader reader, DlrmTrainer trainer, CancellationToken cancellationToken)
    {
        var rowWise = trainer.EmbeddingOptimizer
            ?? throw new InvalidDataException("The manifest's optimizer has no row-wise state to restore into.");
        var parameters = trainer.Model.Mlps.SelectMany(mlp => mlp.Parameters()).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        if (!reader.Tensors.Any(t => t.Name == RowWiseAdagrad.StateName))
            throw new InvalidDataException($"{CheckpointFiles.Optimizer} lacks {RowWiseAdagrad.StateName}.");
        using var scope = NewDisposeScope();
        foreach (var entry in reader.Tensors)
        {
            if (entry.Name == RowWiseAdagrad.StateName)
            {
                reader.ReadInto(entry, rowWise.Accumulator, cancellationToken);
                continue;
            }
            if (!parameters.TryGetValue(entry.Name, out var parameter) || !parameter.shape.SequenceEqual(entry.Shape))
                throw new InvalidDataException($"{CheckpointFiles.Optimizer} holds state {entry.Name} [{string.Join(", ", entry.Shape)}] for no parameter of that shape.");
            trainer.MlpOptimizer.SetState(entry.Name, ReadFloat32(reader, entry, trainer.Model.Device, cancellationToken));
        }
    }

    private static Tensor ReadFloat32(SafetensorsReader reader, SafetensorsEntry entry, Device device, CancellationToken cancellationToken) =>
        entry.DType == ScalarType.Float32
            ? reader.Read(entry, device, cancellationToken)
            : throw new InvalidDataException($"{entry.Name} is {SafetensorsDType.NameOf(entry.DType)}, not F32.");

    private static void RequireExactly(SafetensorsReader reader, IEnumerable<string> expected, string file)
    {
        var wanted = expected.ToHashSet(StringComparer.Ordinal);
        var present = reader.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var missing = wanted.Except(present).ToArray();
        var unexpected = present.Except(wanted).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
            throw new InvalidDataException($"{file} does not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
    }

    /// <summary>Each layer must take what the previous one gives, from the configured input to the configured output.</summary>
    private static void RequireChained(Mlp mlp)
    {
        int width = mlp.FullWidths[0];
        for (int layer = 0; layer < mlp.LayerCount; layer++)
        {
            if (mlp.Weight(layer).shape[1] != width)
                throw new InvalidDataException($"{Mlp.WeightName(mlp.Name, layer)} takes {mlp.Weight(layer).shape[1]} inputs, but {width} arrive.");
            width = (int)mlp.Weight(layer).shape[0];
        }
        if (width != mlp.FullWidths[^1])
            throw new InvalidDataException($"{mlp.Name} ends with {width} outputs, not {mlp.FullWidths[^1]}.");
    }
}
