namespace Recurring.Checkpointing.Remote;

/// <summary>
/// A parsed remote URI: which kind of store, where its server is, the bucket or container, and the key prefix under
/// which checkpoint folders live.
/// </summary>
/// <param name="ServiceUrl">s3: the server's base URL for path-style addressing, null for AWS's own endpoints.
/// azure-blob: the container's URL (with a SAS query when the URI carried one).</param>
public sealed record RemoteLocation(string Kind, Uri? ServiceUrl, string Container, string Prefix, string Display)
{
    /// <summary>
    /// The kind follows from the scheme when <paramref name="kind"/> is empty: <c>s3://</c>, <c>s3+http://</c> and
    /// <c>s3+https://</c> are S3, <c>http(s)://</c> Azure Blob. Throws <see cref="FormatException"/> with the rest
    /// of a sentence ("must ...").
    /// </summary>
    public static RemoteLocation Parse(string? kind, string uri, string? endpoint = null)
    {
        if (string.IsNullOrWhiteSpace(uri)) throw new FormatException("must name the bucket or container, e.g. s3://models/recurring or https://account.blob.core.windows.net/models/recurring.");
        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed)) throw new FormatException($"must be an absolute URI, not '{Mask(uri)}'.");
        var scheme = parsed.Scheme.ToLowerInvariant();
        kind = string.IsNullOrEmpty(kind) ? (scheme.StartsWith("s3", StringComparison.Ordinal) ? RemoteCheckpointOptions.S3 : RemoteCheckpointOptions.AzureBlob) : kind.ToLowerInvariant();
        return kind switch
        {
            RemoteCheckpointOptions.S3 => ParseS3(parsed, scheme, endpoint),
            RemoteCheckpointOptions.AzureBlob => ParseAzure(parsed, scheme),
            _ => throw new FormatException($"cannot be used with store kind '{kind}'."),
        };
    }

    /// <summary>A URI with any query (a SAS token) replaced, fit for logs.</summary>
    public static string Mask(string uri)
    {
        int query = uri.IndexOf('?');
        return query < 0 ? uri : uri[..query] + "?***";
    }

    /// <summary>The URI of one checkpoint folder, as announced to serving.</summary>
    public string CheckpointUri(string id) => $"{Display.TrimEnd('/')}/{id}";

    private static RemoteLocation ParseS3(Uri uri, string scheme, string? endpoint)
    {
        string bucket, prefix;
        Uri? serviceUrl = string.IsNullOrWhiteSpace(endpoint) ? null : new Uri(endpoint);
        if (scheme == "s3")
        {
            bucket = uri.Host;
            prefix = uri.AbsolutePath;
        }
        else if (scheme is "s3+http" or "s3+https")
        {
            // Path-style: the first segment is the bucket.
            serviceUrl = new Uri($"{scheme[3..]}://{uri.Authority}");
            var segments = uri.AbsolutePath.Trim('/').Split('/', 2);
            bucket = segments[0];
            prefix = segments.Length > 1 ? segments[1] : "";
        }
        else throw new FormatException($"must start with s3://, s3+http:// or s3+https:// for an S3 store, not '{Mask(uri.OriginalString)}'.");
        if (string.IsNullOrEmpty(bucket)) throw new FormatException($"must name a bucket: '{Mask(uri.OriginalString)}' has none.");
        prefix = System.Uri.UnescapeDataString(prefix.Trim('/'));
        var display = serviceUrl is null ? $"s3://{bucket}/{prefix}" : $"s3+{serviceUrl.Scheme}://{serviceUrl.Authority}/{bucket}/{prefix}";
        return new RemoteLocation(RemoteCheckpointOptions.S3, serviceUrl, bucket, prefix, display.TrimEnd('/'));
    }

    private static RemoteLocation ParseAzure(Uri uri, string scheme)
    {
        if (scheme is not ("http" or "https")) throw new FormatException($"must be an https:// (or an emulator's http://) URL for Azure Blob Storage, not '{Mask(uri.OriginalString)}'.");
        var blob = new Azure.Storage.Blobs.BlobUriBuilder(uri);
        if (string.IsNullOrEmpty(blob.BlobContainerName)) throw new FormatException($"must name a container: '{Mask(uri.OriginalString)}' has none.");
        var prefix = (blob.BlobName ?? "").Trim('/');
        blob.BlobName = "";
        var containerUrl = blob.ToUri();
        var display = Mask(uri.GetLeftPart(UriPartial.Path)).TrimEnd('/');
        return new RemoteLocation(RemoteCheckpointOptions.AzureBlob, containerUrl, blob.BlobContainerName, prefix, display);
    }
}
