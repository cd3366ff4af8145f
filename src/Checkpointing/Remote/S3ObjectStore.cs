using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Recurring.Checkpointing.Remote;

/// <summary>
/// A bucket prefix on AWS S3 or any S3-compatible server (MinIO, Ceph, R2, GCS's S3 interface, s3rver), addressed
/// path-style whenever a service URL is given. Credentials: explicit keys, or the SDK's default chain (environment,
/// shared profile, web identity as with IRSA, container and instance roles).
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly RemoteLocation _location;
    private readonly long _partBytes;
    private readonly int _concurrency;
    private readonly bool _unsignedPayloads;

    public S3ObjectStore(RemoteLocation location, RemoteCheckpointOptions options)
    {
        _location = location;
        _partBytes = options.PartSizeMegabytes * 1024L * 1024;
        var config = new AmazonS3Config
        {
            // Failures are retried by the caller's Polly pipeline; two layers of retries would multiply the waits.
            MaxErrorRetry = 0,
            // Checksums the server must understand are only sent when an operation needs them: many S3-compatible
            // servers reject the newer flexible-checksum trailers. Contents are verified by SHA-256 after upload instead.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (location.ServiceUrl is null) config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        else
        {
            config.ServiceURL = location.ServiceUrl.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region;
        }
        _client = string.IsNullOrEmpty(options.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
        _concurrency = options.UploadConcurrency;
        _unsignedPayloads = location.ServiceUrl is null || location.ServiceUrl.Scheme == Uri.UriSchemeHttps;
    }

    public string Location => _location.Display;

    public Task<IReadOnlyList<RemoteObject>> ListAsync(string keyPrefix, CancellationToken cancellationToken) => Translate(async () =>
    {
        var objects = new List<RemoteObject>();
        var request = new ListObjectsV2Request { BucketName = _location.Container, Prefix = KeyOf(keyPrefix) };
        do
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
            {
                // Created at the first write; until then it holds nothing.
                break;
            }
            foreach (var item in response.S3Objects ?? [])
                objects.Add(new RemoteObject(RelativeKey(item.Key), item.Size ?? 0));
            request.ContinuationToken = response.NextContinuationToken;
        } while (!string.IsNullOrEmpty(request.ContinuationToken));
        return (IReadOnlyList<RemoteObject>)objects;
    });

    /// <summary>
    /// One PUT up to the part size, else a multipart upload with several parts in flight, aborted when it fails so
    /// no orphaned parts are billed. Payloads are signed whole (not in aws-chunked encoding, which some
    /// S3-compatible servers store verbatim) over http, and left unsigned over https, where TLS protects them.
    /// </summary>
    public Task UploadFileAsync(string key, string path, CancellationToken cancellationToken) => Translate(() => CreatingBucketAsync(() => UploadAsync(key, path, cancellationToken), cancellationToken));

    private async Task<bool> UploadAsync(string key, string path, CancellationToken cancellationToken)
    {
        long length = new FileInfo(path).Length;
        if (length <= _partBytes)
        {
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _location.Container, Key = KeyOf(key), FilePath = path,
                UseChunkEncoding = false, DisablePayloadSigning = _unsignedPayloads,
            }, cancellationToken);
            return true;
        }
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _location.Container, Key = KeyOf(key) }, cancellationToken);
        try
        {
            int parts = (int)((length + _partBytes - 1) / _partBytes);
            var etags = new PartETag[parts];
            await Parallel.ForAsync(0, parts, new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = cancellationToken }, async (part, ct) =>
            {
                long offset = part * _partBytes;
                var response = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _location.Container, Key = KeyOf(key), UploadId = upload.UploadId, PartNumber = part + 1,
                    FilePath = path, FilePosition = offset, PartSize = Math.Min(_partBytes, length - offset),
                    UseChunkEncoding = false, DisablePayloadSigning = _unsignedPayloads,
                }, ct);
                etags[part] = new PartETag(part + 1, response.ETag);
            });
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _location.Container, Key = KeyOf(key), UploadId = upload.UploadId, PartETags = [.. etags],
            }, cancellationToken);
        }
        catch
        {
            await AbortQuietlyAsync(key, upload.UploadId);
            throw;
        }
        return true;
    }

    /// <summary>A missing bucket is created at the first write (where the credentials allow it), so a test server needs no set-up.</summary>
    private async Task<T> CreatingBucketAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            return await write();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            await _client.PutBucketAsync(_location.Container, cancellationToken);
            return await write();
        }
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _location.Container, Key = KeyOf(key), UploadId = uploadId });
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException)
        {
            // The store is unreachable: a lifecycle rule for incomplete multipart uploads cleans up what is left.
        }
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => Translate(() => CreatingBucketAsync(async () =>
    {
        using var body = new MemoryStream(content.ToArray(), writable: false);
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _location.Container, Key = KeyOf(key), InputStream = body, UseChunkEncoding = false, DisablePayloadSigning = _unsignedPayloads,
        }, cancellationToken);
        return true;
    }, cancellationToken));

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => Translate(async () =>
    {
        var response = await _client.GetObjectAsync(_location.Container, KeyOf(key), cancellationToken);
        return (Stream)new DownloadStream(response.ResponseStream, response.ContentLength, response);
    }, key);

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await Translate(() => _client.GetObjectMetadataAsync(_location.Container, KeyOf(key), cancellationToken), key);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Translate(() => _client.DeleteObjectAsync(_location.Container, KeyOf(key), cancellationToken));

    public void Dispose()
    {
        _client.Dispose();
    }

    private string KeyOf(string key) => _location.Prefix.Length == 0 ? key : $"{_location.Prefix}/{key}";

    private string RelativeKey(string key) => _location.Prefix.Length == 0 ? key : key[(_location.Prefix.Length + 1)..];

    private async Task<T> Translate<T>(Func<Task<T>> operation, string? key = null)
    {
        try
        {
            return await operation();
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.NotFound && key is not null && e.ErrorCode is not "NoSuchBucket")
        {
            throw new FileNotFoundException($"{Location}/{key} does not exist.", key, e);
        }
        catch (AmazonServiceException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new UnauthorizedAccessException($"{Location} refused the credentials ({e.ErrorCode}): {e.Message}", e);
        }
        catch (AmazonServiceException e) when (e.StatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
                                                   || e.ErrorCode is "SlowDown" or "RequestTimeout" || e.StatusCode == 0)
        {
            throw new IOException($"{Location} failed: {e.Message}", e);
        }
        catch (AmazonServiceException e)
        {
            throw new InvalidOperationException($"{Location} refused the request ({e.ErrorCode ?? e.StatusCode.ToString()}): {e.Message}", e);
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The network, DNS or the connection: nothing the server decided.
            throw new IOException($"{Location} is unreachable: {e.Message}", e);
        }
    }
}
