using Microsoft.ML.OnnxRuntime;
using Recurring.Checkpointing.Onnx;
using Recurring.Core.Data;

namespace Recurring.Checkpointing.Tests.Support;

/// <summary>
/// The exported graph's inputs for a batch, built as docs/serving.md tells a serving side to build them: one
/// array per input, the multi-valued features as jagged rows with batch * M + 1 offsets.
/// </summary>
internal sealed record OnnxInputs(int Count, float[] Dense, long[] Rows, long[] BagRows, long[] BagOffsets, FeatureSchema Schema)
{
    public static OnnxInputs Of(FeatureBatch batch) => new(batch.Count,
        batch.Dense[..(batch.Count * batch.DenseWidth)],
        batch.Rows[..(batch.Count * batch.SingleWidth)],
        batch.BagRows[..batch.BagValueCount],
        batch.BagOffsets[..(batch.Count * batch.MultiWidth + 1)],
        batch.Schema);

    /// <summary>
    /// The same events with every missing list given as an empty bag instead of the single row 0 the batch holds
    /// for it (hashing never gives row 0, so a bag of exactly row 0 is a missing list).
    /// </summary>
    public OnnxInputs WithMissingListsEmpty()
    {
        var rows = new List<long>();
        var offsets = new List<long> { 0 };
        for (int bag = 0; bag < BagOffsets.Length - 1; bag++)
        {
            var values = BagRows[(int)BagOffsets[bag]..(int)BagOffsets[bag + 1]];
            if (values is not [0]) rows.AddRange(values);
            offsets.Add(rows.Count);
        }
        return this with { BagRows = rows.ToArray(), BagOffsets = offsets.ToArray() };
    }

    /// <summary>Click probabilities from ONNX Runtime, one per event.</summary>
    public float[] Score(InferenceSession session) => Run(session, OnnxSignature.Probability);

    public float[] Run(InferenceSession session, string output)
    {
        var values = new Dictionary<string, OrtValue>
        {
            [OnnxSignature.Dense] = OrtValue.CreateTensorValueFromMemory(Dense, [Count, Schema.Dense.Count]),
        };
        if (Schema.SingleValued.Count > 0)
            values[OnnxSignature.Rows] = OrtValue.CreateTensorValueFromMemory(Rows, [Count, Schema.SingleValued.Count]);
        if (Schema.MultiValued.Count > 0)
        {
            values[OnnxSignature.BagRows] = OrtValue.CreateTensorValueFromMemory(BagRows, [BagRows.Length]);
            values[OnnxSignature.BagOffsets] = OrtValue.CreateTensorValueFromMemory(BagOffsets, [BagOffsets.Length]);
        }
        try
        {
            using var options = new RunOptions();
            using var outputs = session.Run(options, values, [output]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values.Values) value.Dispose();
        }
    }
}
