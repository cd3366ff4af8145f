using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Recurring.Checkpointing.Onnx;

/// <summary>
/// Accumulates an ONNX graph: declared inputs and outputs, nodes in execution order, small constants with their data,
/// and model weights whose data <see cref="OnnxFile"/> fills in when it writes the file (inline or in a side file).
/// Every value a node produces gets a name derived from the caller's, unique in the graph.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly List<(TensorProto Proto, Tensor Value)> _weights = [];

    public GraphProto Graph { get; } = new();

    /// <summary>Weights declared so far, with the tensor that holds each one's data.</summary>
    public IReadOnlyList<(TensorProto Proto, Tensor Value)> Weights => _weights;

    public string Input(OnnxValue value)
    {
        Reserve(value.Name);
        Graph.Input.Add(ValueInfo(value));
        return value.Name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output, computed by an Identity of <paramref name="from"/>.</summary>
    public void Output(OnnxValue value, string from)
    {
        Reserve(value.Name);
        Graph.Node.Add(new NodeProto { OpType = "Identity", Name = value.Name, Input = { from }, Output = { value.Name } });
        Graph.Output.Add(ValueInfo(value));
    }

    /// <summary>Adds a node with one output, named after <paramref name="name"/>; returns the output's name.</summary>
    public string Node(string op, string name, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Unique(name);
        Graph.Node.Add(new NodeProto { OpType = op, Name = output, Input = { inputs }, Output = { output }, Attribute = { attributes } });
        return output;
    }

    /// <summary>A float32 weight taken from <paramref name="value"/> (which must outlive the write) under its checkpoint name.</summary>
    public string Weight(string name, Tensor value)
    {
        if (value.dtype != ScalarType.Float32) throw new ArgumentException($"Weight {name} is {value.dtype}; the graph reads float32.", nameof(value));
        Reserve(name);
        var proto = new TensorProto { Name = name, DataType = (int)DataType.Float, Dims = { value.shape } };
        Graph.Initializer.Add(proto);
        _weights.Add((proto, value));
        return name;
    }

    /// <summary>A 1-D int64 constant (indices, offsets, shapes).</summary>
    public string Int64s(string name, IReadOnlyCollection<long> values) =>
        Constant(name, DataType.Int64, [values.Count], values.SelectMany(BitConverter.GetBytes));

    /// <summary>An int64 scalar constant.</summary>
    public string Int64(string name, long value) => Constant(name, DataType.Int64, [], BitConverter.GetBytes(value));

    /// <summary>A float32 scalar constant.</summary>
    public string Float(string name, float value) => Constant(name, DataType.Float, [], BitConverter.GetBytes(value));

    /// <summary>A 1-D bool constant.</summary>
    public string Bools(string name, IReadOnlyCollection<bool> values) =>
        Constant(name, DataType.Bool, [values.Count], values.Select(v => v ? (byte)1 : (byte)0));

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, IEnumerable<long> values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>Cast's target: float32.</summary>
    public static AttributeProto CastToFloat32() => Attribute("to", (long)DataType.Float);

    /// <summary>ConstantOfShape's fill value: a one-element float32 tensor.</summary>
    public static AttributeProto FillValue(float value) => FillValue(DataType.Float, BitConverter.GetBytes(value));

    /// <summary>ConstantOfShape's fill value: a one-element int64 tensor.</summary>
    public static AttributeProto FillValue(long value) => FillValue(DataType.Int64, BitConverter.GetBytes(value));

    private static AttributeProto FillValue(DataType type, byte[] littleEndian) => new()
    {
        Name = "value",
        Type = AttributeProto.Types.AttributeType.Tensor,
        T = new TensorProto { DataType = (int)type, Dims = { 1 }, RawData = ByteString.CopyFrom(littleEndian) },
    };

    /// <summary>A constant initializer; asking again for the same name and content gives the same one.</summary>
    private string Constant(string name, DataType type, long[] dims, IEnumerable<byte> littleEndian)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing ONNX tensors needs a little-endian machine.");
        var proto = new TensorProto { Name = name, DataType = (int)type, Dims = { dims }, RawData = ByteString.CopyFrom(littleEndian.ToArray()) };
        if (_constants.TryGetValue(name, out var existing))
        {
            if (existing.Equals(proto)) return name;
            throw new ArgumentException($"Constant {name} was declared before with other content.", nameof(name));
        }
        Reserve(name);
        _constants[name] = proto;
        Graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Claims a name that must stay exactly as given (an input, an output, a weight's checkpoint name).</summary>
    private void Reserve(string name)
    {
        if (!_uses.TryAdd(name, 1)) throw new ArgumentException($"The graph already has a value named {name}.", nameof(name));
    }

    private string Unique(string name)
    {
        int seen = _uses.GetValueOrDefault(name);
        _uses[name] = seen + 1;
        return seen == 0 ? name : $"{name}_{seen}";
    }

    private static ValueInfoProto ValueInfo(OnnxValue value)
    {
        var shape = new TensorShapeProto();
        foreach (var dimension in value.Shape)
        {
            shape.Dim.Add(long.TryParse(dimension, out long size)
                ? new TensorShapeProto.Types.Dimension { DimValue = size }
                : new TensorShapeProto.Types.Dimension { DimParam = dimension });
        }
        var type = value.ElementType switch
        {
            OnnxValue.Float32 => DataType.Float,
            OnnxValue.Int64 => DataType.Int64,
            var other => throw new ArgumentException($"No ONNX type for {other}.", nameof(value)),
        };
        return new ValueInfoProto
        {
            Name = value.Name,
            DocString = value.Description,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
