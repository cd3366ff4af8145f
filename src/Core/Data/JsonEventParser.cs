using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Recurring.Core.Data;

/// <summary>
/// Reads a JSON event: one flat object keyed by field name (docs/features.md, "JSON events"), read as the Python
/// package's <c>featurize</c> reads a parsed event. Dense values are numbers or strings holding one; sparse values
/// strings (hashed as their unescaped UTF-8) or integers; a multi-valued feature takes an array (a scalar is a list of
/// one, nulls in it are skipped, values beyond MaxValues dropped and counted); null or an absent key is missing;
/// unknown keys are skipped, whatever they hold. The label is 0, 1, true, false, "0" or "1" (any number equal to 0
/// or 1) and must be there. When a key appears twice the last occurrence wins, as in a parsed JSON object, but each
/// occurrence must be valid. Works over the raw bytes with <see cref="Utf8JsonReader"/>: a valid event allocates
/// nothing.
/// </summary>
public sealed class JsonEventParser(FeatureSchema schema) : IEventParser
{
    // Python's json module accepts exactly this text as a dense string (features.py, _DENSE_TEXT):
    // [+-]?(digits.?digits*|.digits)([eE][+-]?digits)?
    private const NumberStyles DenseStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private readonly FieldTable _fields = new(schema);
    // Which event last set each sparse feature: a repeated key is recognised without clearing anything per event.
    // 64 bits, so the count never wraps around to an old event's number.
    private readonly long[] _sparseSeenIn = new long[schema.Sparse.Count];
    private readonly int[] _droppedAtLastSight = new int[schema.Sparse.Count];
    private byte[] _unescaped = new byte[64];
    private long _eventNumber;

    public FeatureSchema Schema { get; } = schema;

    public bool TryParse(ReadOnlySpan<byte> utf8, ClickEvent into, out EventErrorKind kind, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        // Python decodes the whole message before parsing it: invalid UTF-8 anywhere, even in an unknown key, rejects it.
        if (!Utf8.IsValid(utf8)) return Fail(EventErrorKind.MalformedJson, "the event is not valid UTF-8", out kind, out reason);
        _eventNumber++;
        try
        {
            return TryParseObject(utf8, into, out kind, out reason);
        }
        catch (JsonException e)
        {
            return Fail(EventErrorKind.MalformedJson, $"the event is not well-formed JSON (byte {e.BytePositionInLine ?? 0} of line {(e.LineNumber ?? 0) + 1})", out kind, out reason);
        }
        catch (InvalidOperationException)
        {
            // Unescaping a string whose \u escapes are not valid UTF-16 (a lone surrogate).
            return Fail(EventErrorKind.MalformedJson, "the event holds a string escape that is not valid UTF-16", out kind, out reason);
        }
    }

    private bool TryParseObject(ReadOnlySpan<byte> utf8, ClickEvent into, out EventErrorKind kind, out string? reason)
    {
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return Fail(EventErrorKind.MalformedJson, $"the event is a JSON {Describe(reader.TokenType)}, not an object", out kind, out reason);

        bool labelled = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueIsEscaped ? FindEscaped(ref reader) : _fields.Find(reader.ValueSpan);
            reader.Read();
            bool valid = field.Role switch
            {
                FieldRole.Label => TryReadLabel(ref reader, into, out labelled, out kind, out reason),
                FieldRole.Dense => TryReadDense(ref reader, into, field.Index, out kind, out reason),
                FieldRole.Sparse => TryReadSparse(ref reader, into, field.Index, out kind, out reason),
                _ => Skip(ref reader, out kind, out reason),
            };
            if (!valid) return false;
        }
        // The end of the object; reading on makes the reader reject anything but whitespace after it.
        while (reader.Read()) { }
        if (!labelled) return Fail(EventErrorKind.MissingLabel, $"label '{Schema.Label}' is missing", out kind, out reason);
        kind = default;
        reason = null;
        return true;
    }

    /// <summary>
    /// The field an escaped key names. A key with a lone surrogate escape has no UTF-8 form, so it names no feature:
    /// an unknown key, as it is to Python.
    /// </summary>
    private Field FindEscaped(ref Utf8JsonReader reader)
    {
        try
        {
            return _fields.Find(Unescaped(ref reader));
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    private static bool Skip(ref Utf8JsonReader reader, out EventErrorKind kind, out string? reason)
    {
        reader.Skip();
        kind = default;
        reason = null;
        return true;
    }

    private bool TryReadLabel(ref Utf8JsonReader reader, ClickEvent into, out bool labelled, out EventErrorKind kind, out string? reason)
    {
        kind = default;
        reason = null;
        labelled = true;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                labelled = false;
                return true;
            case JsonTokenType.True or JsonTokenType.False:
                into.Label = reader.TokenType == JsonTokenType.True;
                return true;
            case JsonTokenType.Number when reader.TryGetDouble(out double number) && (number == 0 || number == 1):
                into.Label = number == 1;
                return true;
            case JsonTokenType.String:
                var text = reader.ValueIsEscaped ? Unescaped(ref reader) : reader.ValueSpan;
                if (text is not [(byte)'0' or (byte)'1']) goto default;
                into.Label = text[0] == (byte)'1';
                return true;
            default:
                return Fail(EventErrorKind.BadLabel, $"label '{Schema.Label}': {Quote(ref reader)} is not 0 or 1", out kind, out reason);
        }
    }

    private bool TryReadDense(ref Utf8JsonReader reader, ClickEvent into, int feature, out EventErrorKind kind, out string? reason)
    {
        kind = default;
        reason = null;
        double value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                into.Dense[feature] = null;
                return true;
            case JsonTokenType.Number:
                // TryGetDouble fails only when the number overflows a double.
                if (!reader.TryGetDouble(out value)) value = double.PositiveInfinity;
                break;
            case JsonTokenType.String:
                var text = reader.ValueIsEscaped ? Unescaped(ref reader) : reader.ValueSpan;
                if (!IsDecimalNumber(text) || !double.TryParse(text, DenseStyle, CultureInfo.InvariantCulture, out value))
                    return Fail(EventErrorKind.NonNumericDense, $"dense feature '{Schema.Dense[feature].Name}': {Quote(ref reader)} is not a number", out kind, out reason);
                break;
            default:
                return Fail(EventErrorKind.WrongType, $"dense feature '{Schema.Dense[feature].Name}': {Quote(ref reader)} is not a number", out kind, out reason);
        }
        if (!double.IsFinite(value))
            return Fail(EventErrorKind.NonFiniteDense, $"dense feature '{Schema.Dense[feature].Name}': {Quote(ref reader)} is not a finite number", out kind, out reason);
        into.Dense[feature] = value;
        return true;
    }

    private bool TryReadSparse(ref Utf8JsonReader reader, ClickEvent into, int feature, out EventErrorKind kind, out string? reason)
    {
        if (_sparseSeenIn[feature] == _eventNumber)
        {
            // A repeated key: its last occurrence replaces the earlier one, whose dropped values no longer count.
            into.ClearSparse(feature);
            into.CountDropped(-_droppedAtLastSight[feature]);
        }
        _sparseSeenIn[feature] = _eventNumber;
        _droppedAtLastSight[feature] = 0;

        if (reader.TokenType == JsonTokenType.Null)
        {
            kind = default;
            reason = null;
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartArray) return TryAdd(ref reader, into, feature, out kind, out reason);

        var sparse = Schema.Sparse[feature];
        int values = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Null) continue;
            values++;
            // Like Python, only the values kept are checked: the rest are counted (or, single-valued, refused) unread.
            if (values > sparse.Capacity) reader.Skip();
            else if (!TryAdd(ref reader, into, feature, out kind, out reason)) return false;
        }
        if (values > sparse.Capacity)
        {
            if (!sparse.Multi)
                return Fail(EventErrorKind.TooManyValues, $"sparse feature '{sparse.Name}' is single-valued but has {values} values", out kind, out reason);
            _droppedAtLastSight[feature] = values - sparse.Capacity;
            into.CountDropped(values - sparse.Capacity);
        }
        kind = default;
        reason = null;
        return true;
    }

    private bool TryAdd(ref Utf8JsonReader reader, ClickEvent into, int feature, out EventErrorKind kind, out string? reason)
    {
        kind = default;
        reason = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                into.AddString(feature, reader.ValueIsEscaped ? Unescaped(ref reader) : reader.ValueSpan);
                return true;
            case JsonTokenType.Number when reader.ValueSpan.IndexOfAny(".eE"u8) < 0:
                if (reader.TryGetInt64(out long integer)) into.AddInteger(feature, integer);
                else if (reader.TryGetUInt64(out ulong unsigned)) into.AddInteger(feature, unchecked((long)unsigned));
                else return Fail(EventErrorKind.IntegerOutOfRange, $"sparse feature '{Schema.Sparse[feature].Name}': {Quote(ref reader)} does not fit in 64 bits", out kind, out reason);
                return true;
            default:
                return Fail(EventErrorKind.WrongType, $"sparse feature '{Schema.Sparse[feature].Name}': {Quote(ref reader)} is not an integer or a string", out kind, out reason);
        }
    }

    /// <summary>A string token's value or a property name with its escapes undone, in a buffer reused across events.</summary>
    private ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        // Unescaping never lengthens: every escape is longer than the bytes it stands for.
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (_unescaped.Length < length) _unescaped = new byte[Math.Max(length, _unescaped.Length * 2)];
        int written = reader.CopyString(_unescaped);
        return _unescaped.AsSpan(0, written);
    }

    /// <summary>Plain decimal text: an optional sign, digits with at most one point (at least one digit), an optional exponent.</summary>
    private static bool IsDecimalNumber(ReadOnlySpan<byte> text)
    {
        int i = text is [(byte)'+' or (byte)'-', ..] ? 1 : 0;
        int digits = CountDigits(text, ref i);
        if (i < text.Length && text[i] == (byte)'.')
        {
            i++;
            digits += CountDigits(text, ref i);
        }
        if (digits == 0) return false;
        if (i < text.Length && text[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < text.Length && text[i] is (byte)'+' or (byte)'-') i++;
            if (CountDigits(text, ref i) == 0) return false;
        }
        return i == text.Length;
    }

    private static int CountDigits(ReadOnlySpan<byte> text, ref int i)
    {
        int start = i;
        while (i < text.Length && (uint)(text[i] - '0') <= 9) i++;
        return i - start;
    }

    /// <summary>The offending value as written, for a reason: a string's raw text, or the kind of a compound value.</summary>
    private static string Quote(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => EventText.Quote(reader.ValueSpan),
        JsonTokenType.Number => reader.ValueSpan.Length <= 40 ? Encoding.ASCII.GetString(reader.ValueSpan) : EventText.Quote(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        var other => $"a JSON {Describe(other)}",
    };

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    private static bool Fail(EventErrorKind failure, string description, out EventErrorKind kind, out string? reason)
    {
        kind = failure;
        reason = description;
        return false;
    }

    private enum FieldRole : byte
    {
        Unknown,
        Label,
        Dense,
        Sparse,
    }

    private readonly record struct Field(FieldRole Role, int Index);

    /// <summary>
    /// The schema's field names by their UTF-8 bytes, in an open-addressing table: a key is found without decoding
    /// it into a string.
    /// </summary>
    private sealed class FieldTable
    {
        private readonly byte[]?[] _names;
        private readonly Field[] _fields;
        private readonly int _mask;

        public FieldTable(FeatureSchema schema)
        {
            var all = new List<(string Name, Field Field)> { (schema.Label, new Field(FieldRole.Label, 0)) };
            all.AddRange(schema.Dense.Select((d, i) => (d.Name, new Field(FieldRole.Dense, i))));
            all.AddRange(schema.Sparse.Select((s, j) => (s.Name, new Field(FieldRole.Sparse, j))));
            int size = (int)BitOperations.RoundUpToPowerOf2((uint)all.Count * 4);
            _names = new byte[size][];
            _fields = new Field[size];
            _mask = size - 1;
            foreach (var (name, field) in all)
            {
                var bytes = Encoding.UTF8.GetBytes(name);
                int slot = Slot(bytes);
                while (_names[slot] is not null) slot = (slot + 1) & _mask;
                _names[slot] = bytes;
                _fields[slot] = field;
            }
        }

        public Field Find(ReadOnlySpan<byte> name)
        {
            for (int slot = Slot(name); _names[slot] is { } candidate; slot = (slot + 1) & _mask)
                if (candidate.AsSpan().SequenceEqual(name)) return _fields[slot];
            return default;
        }

        private int Slot(ReadOnlySpan<byte> name)
        {
            uint h = 2166136261;
            foreach (byte b in name) h = (h ^ b) * 16777619;
            return (int)(h ^ h >> 15) & _mask;
        }
    }
}
