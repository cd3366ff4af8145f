namespace Recurring.Core.Data;

/// <summary>Reads one event, as the bytes of one Kafka message or one line of a file, into a reusable <see cref="ClickEvent"/>.</summary>
public interface IEventParser
{
    /// <summary>The schema of the events it fills.</summary>
    FeatureSchema Schema { get; }

    /// <summary>
    /// Fills <paramref name="into"/> (of <see cref="Schema"/>) from <paramref name="utf8"/>. Never throws on bad input.
    /// On failure <paramref name="kind"/> and <paramref name="reason"/> (one short line naming the field, safe for
    /// logs and message headers) say why, and <paramref name="into"/> is partly overwritten; on success they carry
    /// no meaning.
    /// </summary>
    bool TryParse(ReadOnlySpan<byte> utf8, ClickEvent into, out EventErrorKind kind, out string? reason);
}
