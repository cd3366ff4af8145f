using System.Text.Json;

namespace Recurring.Core.Data;

/// <summary>
/// Writes an event as the flat JSON object <see cref="JsonEventParser"/> reads back to an equal event: the label as 0
/// or 1, dense values as numbers (shortest round-trip form), a single-valued feature's value as a scalar, a
/// multi-valued feature's values as an array, integers as JSON integers (an unsigned id with the top bit set as the
/// negative integer with its bits), strings as strings; missing values and empty lists are left out.
/// </summary>
public static class JsonEventWriter
{
    /// <exception cref="ArgumentException">A dense value is NaN or infinite, which JSON cannot carry.</exception>
    public static void Write(ClickEvent e, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(writer);
        var schema = e.Schema;
        writer.WriteStartObject();
        writer.WriteNumber(schema.Label, e.Label ? 1 : 0);
        for (int i = 0; i < schema.Dense.Count; i++)
        {
            if (e.Dense[i] is not { } value) continue;
            if (!double.IsFinite(value))
                throw new ArgumentException($"Dense feature '{schema.Dense[i].Name}' is {value}, which JSON cannot carry.", nameof(e));
            writer.WriteNumber(schema.Dense[i].Name, value);
        }
        for (int j = 0; j < schema.Sparse.Count; j++)
        {
            int count = e.CountOf(j);
            if (count == 0) continue;
            writer.WritePropertyName(schema.Sparse[j].Name);
            if (schema.Sparse[j].Multi) writer.WriteStartArray();
            for (int v = 0; v < count; v++) WriteValue(e.ValueOf(j, v), writer);
            if (schema.Sparse[j].Multi) writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(SparseValue value, Utf8JsonWriter writer)
    {
        if (value.Kind == SparseValueKind.Integer) writer.WriteNumberValue(value.Integer);
        else writer.WriteStringValue(value.Utf8);
    }
}
