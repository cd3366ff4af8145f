using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Recurring.Checkpointing.Remote;

/// <summary>
/// A container prefix in Azure Blob Storage or an emulator (Azurite). Credentials, first that applies: a connection
/// string, an account key, a SAS in the URI, else DefaultAzureCredential (environment, workload identity, managed
/// identity). Large files go up as blocks, several at a time.
/// </summary>
public sealed class AzureBlobObjectStore : IObjectStore
{
    private readonly BlobContainerClient _container;
    private readonly RemoteLocation _location;
    private readonly StorageTransferOptions _transfer;

    public AzureBlobObjectStore(RemoteLocation location, RemoteCheckpointOptions options)
    {
        _location = location;
        // Failures are retried by the caller's Polly pipeline; two layers of retries would multiply the waits.
        var clientOptions = new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(100) } };
        var containerUrl = location.ServiceUrl!;
        if (!string.IsNullOrEmpty(options.ConnectionString))
            _container = new BlobContainerClient(options.ConnectionString, location.Container, clientOptions);
        else if (!string.IsNullOrEmpty(options.AccountKey))
            _container = new BlobContainerClient(containerUrl, new StorageSharedKeyCredential(new BlobUriBuilder(containerUrl).AccountName, options.AccountKey), clientOptions);
        else if (!string.IsNullOrEmpty(containerUrl.Query))
            _container = new BlobContainerClient(containerUrl, clientOptions);
        else if (containerUrl.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException(NeedsKeyOverHttp(location.Display));
        else
            _container = new BlobContainerClient(containerUrl, new DefaultAzureCredential(), clientOptions);
        long partBytes = options.PartSizeMegabytes * 1024L * 1024;
        _transfer = new StorageTransferOptions
        {
            InitialTransferSize = partBytes,
            MaximumTransferSize = partBytes,
            MaximumConcurrency = options.UploadConcurrency,
        };
    }

    public string Location => _location.Display;

    /// <summary>Azure AD tokens travel over https only, so an emulator's http URL needs a key.</summary>
    public static string NeedsKeyOverHttp(string location) =>
        $"{location} is plain http: give Checkpoints:Remote:AccountKey or Checkpoints:Remote:ConnectionString (Azure AD credentials need https).";

    public Task<IReadOnlyList<RemoteObject>> ListAsync(string keyPrefix, CancellationToken cancellationToken) => Translate(async () =>
    {
        var objects = new List<RemoteObject>();
        try
        {
            await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = KeyOf(keyPrefix) }, cancellationToken))
                objects.Add(new RemoteObject(RelativeKey(item.Name), item.Properties.ContentLength ?? 0));
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // Created at the first write; until then it holds nothing.
        }
        return (IReadOnlyList<RemoteObject>)objects;
    });

    public Task UploadFileAsync(string key, string path, CancellationToken cancellationToken) => Translate(() => CreatingContainerAsync(() =>
        _container.GetBlobClient(KeyOf(key)).UploadAsync(path, new BlobUploadOptions { TransferOptions = _transfer }, cancellationToken), cancellationToken));

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => Translate(() => CreatingContainerAsync(() =>
        _container.GetBlobClient(KeyOf(key)).UploadAsync(BinaryData.FromBytes(content), overwrite: true, cancellationToken), cancellationToken));

    /// <summary>A missing container is created at the first write (where the credentials allow it), so an emulator needs no set-up.</summary>
    private async Task<T> CreatingContainerAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            return await write();
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            return await write();
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => Translate(async () =>
    {
        var response = await _container.GetBlobClient(KeyOf(key)).DownloadStreamingAsync(cancellationToken: cancellationToken);
        return (Stream)new DownloadStream(response.Value.Content, response.Value.Details.ContentLength, response.Value);
    }, key);

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Translate(async () =>
        (await _container.GetBlobClient(KeyOf(key)).ExistsAsync(cancellationToken)).Value);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => Translate(() =>
        _container.GetBlobClient(KeyOf(key)).DeleteIfExistsAsync(cancellationToken: cancellationToken));

    public void Dispose() { }

    private string KeyOf(string key) => _location.Prefix.Length == 0 ? key : $"{_location.Prefix}/{key}";

    private string RelativeKey(string key) => _location.Prefix.Length == 0 ? key : key[(_location.Prefix.Length + 1)..];

    private async Task<T> Translate<T>(Func<Task<T>> operation, string? key = null)
    {
        try
        {
            return await operation();
        }
        catch (RequestFailedException e) when (e.Status == 404 && key is not null && e.ErrorCode != BlobErrorCode.ContainerNotFound)
        {
            throw new FileNotFoundException($"{Location}/{key} does not exist.", key, e);
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new UnauthorizedAccessException($"{Location} refused the credentials ({e.ErrorCode}): {FirstLine(e.Message)}", e);
        }
        catch (RequestFailedException e) when (e.Status is 0 or 408 or 429 or >= 500)
        {
            throw new IOException($"{Location} failed: {FirstLine(e.Message)}", e);
        }
        catch (RequestFailedException e)
        {
            throw new InvalidOperationException($"{Location} refused the request ({e.ErrorCode ?? e.Status.ToString()}): {FirstLine(e.Message)}", e);
        }
        catch (AuthenticationFailedException e)
        {
            throw new UnauthorizedAccessException($"{Location}: no Azure credential could be obtained: {FirstLine(e.Message)}", e);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or System.Net.Sockets.SocketException or AggregateException { InnerException: HttpRequestException })
        {
            throw new IOException($"{Location} is unreachable: {FirstLine(e.Message)}", e);
        }
    }

    // Azure's messages carry the whole response (headers included) after the first line.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
