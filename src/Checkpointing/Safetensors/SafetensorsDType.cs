using static TorchSharp.torch;

namespace Recurring.Checkpointing.Safetensors;

/// <summary>The dtype names of the safetensors header and the libtorch types they stand for.</summary>
public static class SafetensorsDType
{
    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float64] = "F64",
        [ScalarType.Float32] = "F32",
        [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64",
        [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16",
        [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8",
        [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> Types = Names.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    public static string NameOf(ScalarType type) =>
        Names.TryGetValue(type, out var name) ? name : throw new NotSupportedException($"Tensors of type {type} cannot be stored in safetensors by this writer.");

    public static bool TryParse(string name, out ScalarType type) => Types.TryGetValue(name, out type);

    public static int SizeOf(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"Tensors of type {type} have no safetensors name."),
    };
}
