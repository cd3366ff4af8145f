using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recurring.Checkpointing;

/// <summary>manifest.json's encoding: camelCase names, kebab-case enums, and a version check before anything else.</summary>
public static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        WriteIndented = true,
    };

    public static Task WriteAsync(Stream destination, CheckpointManifest manifest, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(destination, manifest, Options, cancellationToken);

    /// <summary>
    /// Parses a manifest. A newer format version throws <see cref="CheckpointException"/> (this build must not guess
    /// at it); anything malformed throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static async Task<CheckpointManifest> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(source, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest.json is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("formatVersion", out var version)
                || !version.TryGetInt32(out int formatVersion))
                throw new InvalidDataException("manifest.json has no integer formatVersion.");
            if (formatVersion > CheckpointManifest.CurrentFormatVersion)
                throw new CheckpointException($"Checkpoint format version {formatVersion} is newer than this build of recurring reads ({CheckpointManifest.CurrentFormatVersion}): upgrade recurring to use it, or move it aside to resume from an older checkpoint.");
            if (formatVersion < 1) throw new InvalidDataException($"manifest.json has format version {formatVersion}; versions start at 1.");
            try
            {
                return document.Deserialize<CheckpointManifest>(Options) ?? throw new InvalidDataException("manifest.json is null.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"manifest.json does not describe a checkpoint: {e.Message}");
            }
        }
    }
}
