using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recurring.Checkpointing;

/// <summary>
/// manifest.json's encoding: camelCase names, kebab-case enums, a version check before anything else, and the
/// manifest's own digest. The digest covers every property but itself, written as compact JSON in file order, so
/// re-indenting the file keeps it valid while any changed value (an offset, a counter, a file's SHA-256) does not.
/// </summary>
public static class ManifestJson
{
    private const string DigestProperty = "manifestSha256";

    /// <summary>The first version whose manifests must carry their digest.</summary>
    private const int FirstVersionWithDigest = 2;

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

    /// <summary>The manifest with <see cref="CheckpointManifest.ManifestSha256"/> set to the digest of its content.</summary>
    public static CheckpointManifest Seal(CheckpointManifest manifest) => manifest with { ManifestSha256 = DigestOf(manifest with { ManifestSha256 = null }) };

    /// <summary>The digest of a manifest of any kind (a checkpoint's, a delta's) written without its digest property.</summary>
    internal static string DigestOf<T>(T unsealed)
    {
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(unsealed, Options));
        return DigestOf(document.RootElement);
    }

    /// <summary>Writes a manifest with its digest (any digest it carries is computed afresh).</summary>
    public static Task WriteAsync(Stream destination, CheckpointManifest manifest, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(destination, Seal(manifest), Options, cancellationToken);

    /// <summary>
    /// Parses a manifest and checks its digest. A newer format version throws <see cref="CheckpointException"/> (this
    /// build must not guess at it); anything malformed or altered throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static Task<CheckpointManifest> ReadAsync(Stream source, CancellationToken cancellationToken) =>
        ReadAsync<CheckpointManifest>(source, "a checkpoint", formatVersion =>
        {
            if (formatVersion > CheckpointManifest.CurrentFormatVersion)
                throw new CheckpointException($"Checkpoint format version {formatVersion} is newer than this build of recurring reads ({CheckpointManifest.CurrentFormatVersion}): upgrade recurring to use it, or move it aside to resume from an older checkpoint.");
            if (formatVersion < CheckpointManifest.CurrentFormatVersion)
                throw new InvalidDataException($"manifest.json has format version {formatVersion}, from before feature schemas: its tables were hashed differently, so this build cannot resume from it.");
            return formatVersion >= FirstVersionWithDigest;
        }, cancellationToken);

    /// <summary>
    /// Parses a manifest of any kind: <paramref name="checkVersion"/> throws for a format version this build does not
    /// read and says whether that version must carry its digest; the digest is checked, then the content is read as
    /// <typeparamref name="T"/> (<paramref name="what"/> names it in errors).
    /// </summary>
    internal static async Task<T> ReadAsync<T>(Stream source, string what, Func<int, bool> checkVersion, CancellationToken cancellationToken)
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
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("formatVersion", out var version)
                || !version.TryGetInt32(out int formatVersion))
                throw new InvalidDataException("manifest.json has no integer formatVersion.");
            CheckDigest(root, formatVersion, required: checkVersion(formatVersion));
            try
            {
                return root.Deserialize<T>(Options) ?? throw new InvalidDataException("manifest.json is null.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"manifest.json does not describe {what}: {e.Message}");
            }
        }
    }

    private static void CheckDigest(JsonElement root, int formatVersion, bool required)
    {
        if (!root.TryGetProperty(DigestProperty, out var stored))
        {
            if (required)
                throw new InvalidDataException($"manifest.json (format version {formatVersion}) has no {DigestProperty}: it was altered or damaged.");
            return;
        }
        if (stored.ValueKind != JsonValueKind.String || !string.Equals(stored.GetString(), DigestOf(root), StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException("manifest.json does not match its SHA-256: it was altered or damaged.");
    }

    /// <summary>The SHA-256 of every property but the digest itself, as manifestSha256 holds it.</summary>
    internal static string DigestOf(JsonElement root)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
                if (property.Name != DigestProperty) property.WriteTo(writer);
            writer.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }
}
