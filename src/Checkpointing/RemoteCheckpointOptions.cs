using Recurring.Checkpointing.Remote;

namespace Recurring.Checkpointing;

/// <summary>
/// Section "Checkpoints:Remote": where checkpoints are copied after they are written locally, with which credentials,
/// and how far the copies may fall behind. Secrets are never part of <see cref="ToString"/> or of any message.
/// </summary>
public sealed class RemoteCheckpointOptions
{
    public const string None = "none";
    public const string S3 = "s3";
    public const string AzureBlob = "azure-blob";

    public static readonly IReadOnlyList<string> Kinds = [None, S3, AzureBlob];

    /// <summary><c>none</c> (default), <c>s3</c> or <c>azure-blob</c>.</summary>
    public string Kind { get; set; } = None;

    /// <summary>
    /// s3: <c>s3://bucket/prefix</c> (AWS; set <see cref="Endpoint"/> for another server) or
    /// <c>s3+http://host:port/bucket/prefix</c> / <c>s3+https://...</c> (path-style, any S3-compatible server).
    /// azure-blob: <c>https://account.blob.core.windows.net/container/prefix</c>, or an emulator's
    /// <c>http://127.0.0.1:10000/devstoreaccount1/container/prefix</c>.
    /// </summary>
    public string Uri { get; set; } = "";

    /// <summary>s3: the server's base URL (MinIO, Ceph, R2, ...); addressing is path-style whenever it is set.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>s3: the signing region; AWS also uses it to find the endpoint.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>s3: explicit keys; both empty means the SDK's default chain (environment, profile, web identity, instance role).</summary>
    public string AccessKeyId { get; set; } = "";

    public string SecretAccessKey { get; set; } = "";

    /// <summary>azure-blob: a full connection string; takes precedence over <see cref="AccountKey"/>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>azure-blob: the storage account's shared key. Neither this nor a connection string nor a SAS in
    /// <see cref="Uri"/> means DefaultAzureCredential (environment, workload identity, managed identity).</summary>
    public string AccountKey { get; set; } = "";

    /// <summary>Checkpoints waiting for upload beyond the pinned ones; when a newer one arrives, the oldest waiting one is skipped.</summary>
    public int Backlog { get; set; } = 2;

    /// <summary>How long a written checkpoint may wait for its remote copy before the daemon reports itself not ready.</summary>
    public int MaxLagSeconds { get; set; } = 900;

    /// <summary>Remote retention: the newest checkpoints kept there; empty means <see cref="CheckpointOptions.KeepLast"/>.
    /// The store usually keeps more than the local volume.</summary>
    public int? KeepLast { get; set; }

    /// <summary>Remote retention: days whose newest checkpoint is kept; empty means <see cref="CheckpointOptions.KeepDailyDays"/>.</summary>
    public int? KeepDailyDays { get; set; }

    /// <summary>Objects larger than this are uploaded in parts (S3 multipart, Azure blocks), several at a time.</summary>
    public int PartSizeMegabytes { get; set; } = 16;

    public int UploadConcurrency { get; set; } = 4;

    public bool Enabled => !string.Equals(Kind, None, StringComparison.OrdinalIgnoreCase);

    /// <summary>One line per problem, named relative to the section ("Remote:Uri must ..."); empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Kinds.Contains(Kind, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"Remote:Kind must be one of {string.Join(", ", Kinds)}, not '{Kind}'.");
            return errors;
        }
        if (!Enabled) return errors;
        try
        {
            var location = RemoteLocation.Parse(Kind, Uri, Endpoint);
            if (location.Kind == AzureBlob && location.ServiceUrl!.Scheme != System.Uri.UriSchemeHttps && string.IsNullOrEmpty(location.ServiceUrl.Query)
                && string.IsNullOrEmpty(AccountKey) && string.IsNullOrEmpty(ConnectionString))
                errors.Add("Remote:AccountKey or Remote:ConnectionString must be set for a plain http Uri (an emulator): Azure AD credentials need https.");
        }
        catch (FormatException e)
        {
            errors.Add($"Remote:Uri {e.Message}");
        }
        if (string.IsNullOrEmpty(AccessKeyId) != string.IsNullOrEmpty(SecretAccessKey))
            errors.Add("Remote:AccessKeyId and Remote:SecretAccessKey must be given together (or both left empty for the SDK's credential chain).");
        if (KeepLast < 1) errors.Add($"Remote:KeepLast must be at least 1, not {KeepLast}.");
        if (KeepDailyDays < 0) errors.Add($"Remote:KeepDailyDays must be 0 or more, not {KeepDailyDays}.");
        if (Backlog < 1) errors.Add($"Remote:Backlog must be at least 1, not {Backlog}.");
        if (MaxLagSeconds < 1) errors.Add($"Remote:MaxLagSeconds must be at least 1, not {MaxLagSeconds}.");
        if (PartSizeMegabytes is < 5 or > 4000) errors.Add($"Remote:PartSizeMegabytes must be between 5 (S3's smallest part) and 4000, not {PartSizeMegabytes}.");
        if (UploadConcurrency is < 1 or > 64) errors.Add($"Remote:UploadConcurrency must be between 1 and 64, not {UploadConcurrency}.");
        return errors;
    }

    /// <summary>The settings without their secrets, for logs and status pages.</summary>
    public override string ToString() =>
        $"Kind={Kind}, Uri={RemoteLocation.Mask(Uri)}, Endpoint={Endpoint}, Region={Region}, " +
        $"AccessKeyId={Masked(AccessKeyId)}, SecretAccessKey={Masked(SecretAccessKey)}, ConnectionString={Masked(ConnectionString)}, AccountKey={Masked(AccountKey)}, " +
        $"Backlog={Backlog}, MaxLagSeconds={MaxLagSeconds}";

    private static string Masked(string secret) => string.IsNullOrEmpty(secret) ? "" : "***";
}
