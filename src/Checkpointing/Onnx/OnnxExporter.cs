using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Recurring.Core.Model;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Onnx;

public sealed record OnnxExportOptions
{
    /// <summary>
    /// True: every weight goes to a side file (the model file's name plus <see cref="OnnxExporter.ExternalDataSuffix"/>);
    /// false: all in the model file; null: a side file only when the weights exceed <see cref="OnnxExporter.InlineLimitBytes"/>.
    /// </summary>
    public bool? ExternalData { get; init; }

    /// <summary>Pairs for the model's metadata_props (the checkpoint it came from, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <param name="Bytes">Size of the model file.</param>
/// <param name="ExternalDataPath">The side file holding the weights; null when they are inside the model file.</param>
public sealed record OnnxExportResult(string Path, long Bytes, string? ExternalDataPath, long ExternalDataBytes, int Opset, long IrVersion,
    IReadOnlyList<OnnxValue> Inputs, IReadOnlyList<OnnxValue> Outputs);

/// <summary>
/// Writes a model as a standard ONNX graph (<see cref="DlrmGraph"/>; inputs and outputs in <see cref="OnnxSignature"/>)
/// that ONNX Runtime, Triton or any ONNX consumer runs without Recurring. The file appears complete or not at all:
/// it is written under a temporary name and renamed.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Operator set 17: the first with every operator the graph needs (ScatterND's and ScatterElements' add from 16), and the newest Debian 12's onnx checker knows.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8, the one that goes with opset 17 (onnx 1.12, ONNX Runtime 1.12 and later).</summary>
    public const long IrVersion = 8;

    /// <summary>Weights above this go to a side file by default: a protobuf message cannot exceed 2 GiB.</summary>
    public const long InlineLimitBytes = 1L << 30;

    public const string ExternalDataSuffix = ".data";

    /// <summary>Offsets of weights in the side file are multiples of this, so a runtime can map them in place.</summary>
    private const int ExternalDataAlignment = 4096;

    private const string TemporarySuffix = ".partial";

    public static OnnxExportResult Export(DlrmModel model, string path, OnnxExportOptions options, CancellationToken cancellationToken)
    {
        var graph = new GraphBuilder();
        graph.Graph.Name = "recurring_dlrm";
        DlrmGraph.Build(model, graph);
        bool external = options.ExternalData ?? graph.Weights.Sum(w => TensorBytes.SizeOf(w.Value)) > InlineLimitBytes;

        var modelPath = Path.GetFullPath(path);
        var dataPath = modelPath + ExternalDataSuffix;
        var temporaryModel = modelPath + TemporarySuffix;
        var temporaryData = dataPath + TemporarySuffix;
        try
        {
            if (external) WriteExternalData(graph, temporaryData, Path.GetFileName(dataPath), cancellationToken);
            else InlineWeights(graph, cancellationToken);
            using (var file = new FileStream(temporaryModel, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Describe(graph, options).WriteTo(file);
                file.Flush(flushToDisk: true);
            }
            if (external) File.Move(temporaryData, dataPath, overwrite: true);
            File.Move(temporaryModel, modelPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporaryModel);
            File.Delete(temporaryData);
        }
        return new OnnxExportResult(modelPath, new FileInfo(modelPath).Length, external ? dataPath : null, external ? new FileInfo(dataPath).Length : 0,
            Opset, IrVersion, OnnxSignature.Inputs(model.Config.Features), OnnxSignature.Outputs);
    }

    /// <summary>
    /// What the file says about where it came from (model metadata): the checkpoint, its training counters, and the
    /// checkpoint's model shape as in its manifest (features with rows, transforms and statistics; layer widths).
    /// </summary>
    public static IReadOnlyDictionary<string, string> MetadataOf(CheckpointManifest manifest) => new Dictionary<string, string>
    {
        ["recurring.checkpoint"] = manifest.Id,
        ["recurring.created_utc"] = manifest.CreatedUtc.ToString("O", CultureInfo.InvariantCulture),
        ["recurring.steps"] = manifest.Counters.Steps.ToString(CultureInfo.InvariantCulture),
        ["recurring.samples"] = manifest.Counters.Samples.ToString(CultureInfo.InvariantCulture),
        ["recurring.model"] = JsonSerializer.Serialize(manifest.Model, CompactManifestJson),
    };

    private static readonly JsonSerializerOptions CompactManifestJson = new(ManifestJson.Options) { WriteIndented = false };

    private static ModelProto Describe(GraphBuilder graph, OnnxExportOptions options)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            ProducerName = "recurring",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = "DLRM click model exported by Recurring: see docs/serving.md for its inputs and outputs.",
            Graph = graph.Graph,
        };
        foreach (var (key, value) in options.Metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static void InlineWeights(GraphBuilder graph, CancellationToken cancellationToken)
    {
        foreach (var (proto, value) in graph.Weights)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var bytes = new MemoryStream(checked((int)TensorBytes.SizeOf(value)));
            TensorBytes.Write(bytes, value, cancellationToken);
            proto.RawData = UnsafeByteOperations.UnsafeWrap(bytes.GetBuffer().AsMemory(0, (int)bytes.Length));
        }
    }

    /// <summary>Every weight in one side file, each at an aligned offset, referenced by its location relative to the model file.</summary>
    private static void WriteExternalData(GraphBuilder graph, string path, string location, CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        foreach (var (proto, value) in graph.Weights)
        {
            long padding = (ExternalDataAlignment - file.Position % ExternalDataAlignment) % ExternalDataAlignment;
            file.Write(new byte[padding]);
            long offset = file.Position;
            TensorBytes.Write(file, value, cancellationToken);
            proto.DataLocation = TensorProto.Types.DataLocation.External;
            proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = $"{offset}" });
            proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = $"{file.Position - offset}" });
        }
        file.Flush(flushToDisk: true);
    }
}
