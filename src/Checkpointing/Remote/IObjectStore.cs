namespace Recurring.Checkpointing.Remote;

/// <summary>An object and its size, by its key relative to the store's prefix.</summary>
public sealed record RemoteObject(string Key, long Bytes);

/// <summary>
/// A bucket or container under one key prefix. Keys are relative to that prefix and use '/' between segments.
/// Implementations translate their SDK's failures so that the checkpoint code can decide without knowing the SDK:
/// a missing object is a <see cref="FileNotFoundException"/>, refused credentials an
/// <see cref="UnauthorizedAccessException"/>, a failure that may pass (network, timeouts, 5xx, throttling) an
/// <see cref="IOException"/>; anything else an <see cref="InvalidOperationException"/>. They do not retry:
/// the callers do, with Polly.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>The store's URI without secrets, for messages.</summary>
    string Location { get; }

    /// <summary>Every object whose key starts with <paramref name="keyPrefix"/> ("" for all).</summary>
    Task<IReadOnlyList<RemoteObject>> ListAsync(string keyPrefix, CancellationToken cancellationToken);

    /// <summary>Uploads a local file, in parts and several at a time when it is large; replaces an existing object.</summary>
    Task UploadFileAsync(string key, string path, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a small object.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>A forward-only stream of the object whose <see cref="Stream.Length"/> is the object's size.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes an object; nothing happens when it is not there.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
