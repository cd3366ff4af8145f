using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;

namespace Recurring.Checkpointing.Tests.Support;

/// <summary>
/// A real object-storage server for tests: Azurite (Azure Blob) or s3rver (S3), from tests/storage-servers
/// (installed there by `npm ci`, which .ci/run does, or the first test that needs one), started on a free loopback port with its data in a temporary
/// folder. <see cref="Stop"/> and <see cref="Start"/> take it down and bring it back on the same port and data,
/// for outage tests.
/// </summary>
public sealed class StorageServer : IDisposable
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>s3rver accepts these keys (and signs with them).</summary>
    public const string S3rverKey = "S3RVER";

    private readonly string _binary;
    private readonly string _data = Directory.CreateTempSubdirectory("recurring-storage-server-").FullName;
    private Process? _process;
    private int _containers;

    private StorageServer(string kind, string binary)
    {
        Kind = kind;
        _binary = binary;
        Port = FreePort();
        Start();
    }

    /// <summary><see cref="RemoteCheckpointOptions.AzureBlob"/> or <see cref="RemoteCheckpointOptions.S3"/>.</summary>
    public string Kind { get; }

    public int Port { get; }

    public static StorageServer Azurite() => new(RemoteCheckpointOptions.AzureBlob, Binary("azurite-blob"));

    public static StorageServer S3rver() => new(RemoteCheckpointOptions.S3, Binary("s3rver"));

    /// <summary>
    /// A new empty bucket or container with its URI, so tests sharing one server do not see each other's objects,
    /// and options with the credentials it needs.
    /// </summary>
    public (string Uri, RemoteCheckpointOptions Options) NewContainer(string prefix = "recurring")
    {
        var name = $"c{Interlocked.Increment(ref _containers)}-{Guid.NewGuid():N}"[..20];
        if (Kind == RemoteCheckpointOptions.AzureBlob)
        {
            var uri = $"http://127.0.0.1:{Port}/{AzuriteAccount}/{name}";
            new BlobContainerClient(new Uri(uri), new Azure.Storage.StorageSharedKeyCredential(AzuriteAccount, AzuriteKey)).Create();
            return ($"{uri}/{prefix}", new RemoteCheckpointOptions { Kind = Kind, Uri = $"{uri}/{prefix}", AccountKey = AzuriteKey });
        }
        using (var client = new AmazonS3Client(new BasicAWSCredentials(S3rverKey, S3rverKey), new AmazonS3Config { ServiceURL = $"http://127.0.0.1:{Port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1" }))
            client.PutBucketAsync(name).GetAwaiter().GetResult();
        var s3Uri = $"s3+http://127.0.0.1:{Port}/{name}/{prefix}";
        return (s3Uri, new RemoteCheckpointOptions { Kind = Kind, Uri = s3Uri, AccessKeyId = S3rverKey, SecretAccessKey = S3rverKey });
    }

    /// <summary>Configuration overrides that give the command line the server's credentials.</summary>
    public IReadOnlyList<string> CredentialArguments => Kind == RemoteCheckpointOptions.AzureBlob
        ? [$"--Checkpoints:Remote:AccountKey={AzuriteKey}"]
        : [$"--Checkpoints:Remote:AccessKeyId={S3rverKey}", $"--Checkpoints:Remote:SecretAccessKey={S3rverKey}"];

    public void Start()
    {
        var start = new ProcessStartInfo(_binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] arguments = Kind == RemoteCheckpointOptions.AzureBlob
            ? ["--blobHost", "127.0.0.1", "--blobPort", $"{Port}", "--location", _data, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"]
            : ["--directory", _data, "--address", "127.0.0.1", "--port", $"{Port}", "--silent"];
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        _process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process.OutputDataReceived += (_, line) => { if (line.Data is not null) output.Enqueue(line.Data); };
        _process.ErrorDataReceived += (_, line) => { if (line.Data is not null) output.Enqueue(line.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Node loads a server's modules in a few seconds, much longer on a busy machine.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Path.GetFileName(_binary)} exited with code {_process.ExitCode} at start: {string.Join(" | ", output)}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Path.GetFileName(_binary)} did not listen on port {Port} within 90 s: {string.Join(" | ", output)}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>SIGTERM, so that Azurite saves its metadata (it writes it to disk only now and then), then SIGKILL if need be.</summary>
    public void Stop()
    {
        if (_process is null) return;
        using (var term = Process.Start("kill", ["-TERM", $"{_process.Id}"])) term.WaitForExit();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(_data, recursive: true);
    }

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<string> ServersFolder = new(InstallServers);

    private static string Binary(string name)
    {
        var binary = Path.Combine(ServersFolder.Value, "node_modules", ".bin", name);
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{name} is missing from {ServersFolder.Value} after `npm ci` there.");
        return binary;
    }

    /// <summary>
    /// tests/storage-servers with its pinned npm packages installed: `npm ci` once per run when they are missing (as
    /// .ci/run does up front), under a lock file, since both test projects start servers and run at the same time.
    /// When that fails the tests fail, they are never skipped.
    /// </summary>
    private static string InstallServers()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Recurring.sln"))) directory = directory.Parent;
        var folder = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "tests", "storage-servers");
        bool Installed() => File.Exists(Path.Combine(folder, "node_modules", ".bin", "azurite-blob")) && File.Exists(Path.Combine(folder, "node_modules", ".bin", "s3rver"));
        if (Installed()) return folder;

        using var installing = WaitForLock(Path.Combine(folder, ".install.lock"));
        if (Installed()) return folder;
        using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--prefix", folder, "--no-audit", "--no-fund", "--loglevel=error"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("npm could not be started.");
        var errors = npm.StandardError.ReadToEndAsync();
        npm.StandardOutput.ReadToEnd();
        if (!npm.WaitForExit(InstallTimeout) || npm.ExitCode != 0 || !Installed())
            throw new InvalidOperationException($"The remote checkpoint tests need Azurite and s3rver, and `npm ci` in {folder} could not install them " +
                                                $"(it needs npm and the npm registry): {errors.Result}");
        return folder;
    }

    private static FileStream WaitForLock(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One Azurite for a test class.</summary>
public sealed class AzuriteFixture : IDisposable
{
    public StorageServer Server { get; } = StorageServer.Azurite();

    public void Dispose() => Server.Dispose();
}

/// <summary>One s3rver for a test class.</summary>
public sealed class S3rverFixture : IDisposable
{
    public StorageServer Server { get; } = StorageServer.S3rver();

    public void Dispose() => Server.Dispose();
}
