namespace Recurring.Checkpointing.Remote;

public static class ObjectStores
{
    /// <summary>The store <paramref name="options"/> describe; <paramref name="uri"/> (a command line's --remote) overrides their Uri, and its scheme the kind.</summary>
    public static IObjectStore Open(RemoteCheckpointOptions options, string? uri = null)
    {
        var location = uri is null
            ? RemoteLocation.Parse(options.Kind, options.Uri, options.Endpoint)
            : RemoteLocation.Parse(kind: null, uri, options.Endpoint);
        return location.Kind == RemoteCheckpointOptions.S3
            ? new S3ObjectStore(location, options)
            : new AzureBlobObjectStore(location, options);
    }
}
