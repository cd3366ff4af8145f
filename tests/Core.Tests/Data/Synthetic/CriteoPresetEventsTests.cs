using System.Security.Cryptography;
using Recurring.Core.Data;
using Recurring.Core.Data.Synthetic;

namespace Recurring.Core.Tests.Data.Synthetic;

/// <summary>
/// The Criteo preset's synthetic events are pinned: figures in docs/ and bench/ were measured on them, so generalising
/// the generator to any schema must not change a single one.
/// </summary>
public class CriteoPresetEventsTests
{
    /// <summary>Every part of the teacher switched on (drift, new IDs, the capacity-hungry term), so each is pinned.</summary>
    private static readonly SyntheticDataOptions EveryTerm = new()
    {
        Seed = 11,
        CalibrationSampleSize = 2_000,
        RotationPerMillionEvents = 50,
        NewIdsPerMillionEvents = 2_000,
        NonlinearStrength = 1,
    };

    /// <summary>
    /// SHA-256 of the first 5,000 events of <see cref="EveryTerm"/> (<see cref="Digest"/>), measured on the generator
    /// before it took a schema (commit dba87a6).
    /// </summary>
    private const string EventsBeforeSchemas = "420EE04F200B78FBE7D3DE430F7DC6852D1575CE683D73FB364333D0FF31117B";

    /// <summary>
    /// Labels, dense values and IDs exactly; probabilities rounded to single precision, so a maths library that rounds
    /// the last bit of an exp differently does not break the pin while any real change of the teacher does.
    /// </summary>
    private static string Digest(SyntheticClickGenerator generator, int events)
    {
        using var bytes = new MemoryStream();
        using var writer = new BinaryWriter(bytes);
        var record = new CriteoRecord();
        for (int i = 0; i < events; i++)
        {
            writer.Write((float)generator.Generate(i, record));
            writer.Write(record.Label);
            foreach (double? value in record.Dense) writer.Write(value ?? double.NaN);
            foreach (ulong? id in record.Categorical) writer.Write(id ?? ulong.MaxValue);
        }
        writer.Flush();
        return Convert.ToHexString(SHA256.HashData(bytes.ToArray()));
    }

    [Fact]
    public void TheCriteoPresetGivesTheEventsItGaveBeforeSchemas()
    {
        Assert.Equal(EventsBeforeSchemas, Digest(new SyntheticClickGenerator(EveryTerm), 5_000));
    }

    [Fact]
    public void TheCriteoPresetFillsAnEventWithTheValuesOfItsRecord()
    {
        var generator = new SyntheticClickGenerator(EveryTerm);
        var record = new CriteoRecord();
        var fromRecord = new ClickEvent(FeatureSchema.Criteo());
        // Rows size tables, not events: an event of the model's smaller tables gets the same values.
        var e = new ClickEvent(FeatureSchema.Criteo(2_000));
        for (int i = 0; i < 2_000; i++)
        {
            double recordProbability = generator.Generate(i, record);
            fromRecord.SetFrom(record);

            Assert.Equal(recordProbability, generator.Generate(i, e));
            Assert.Equal(SchemaEvents.Describe(fromRecord), SchemaEvents.Describe(e));
        }
    }
}
