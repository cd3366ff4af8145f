using Recurring.Checkpointing.Remote;

namespace Recurring.Checkpointing.Tests.Remote;

public class RemoteOptionsTests
{
    [Fact]
    public void AnS3UriNamesBucketAndPrefixForAwsEndpoints()
    {
        var location = RemoteLocation.Parse(RemoteCheckpointOptions.S3, "s3://models/recurring/prod/");

        Assert.Equal(("models", "recurring/prod", null), (location.Container, location.Prefix, location.ServiceUrl));
        Assert.Equal("s3://models/recurring/prod/ckpt-1", location.CheckpointUri("ckpt-1"));
    }

    [Fact]
    public void AnS3PlusHttpUriAddressesAnyServerPathStyle()
    {
        var location = RemoteLocation.Parse(kind: null, "s3+http://127.0.0.1:9000/models/recurring");

        Assert.Equal(RemoteCheckpointOptions.S3, location.Kind);
        Assert.Equal(new Uri("http://127.0.0.1:9000"), location.ServiceUrl);
        Assert.Equal(("models", "recurring"), (location.Container, location.Prefix));
    }

    [Fact]
    public void AnAzuriteUrlTakesTheAccountFromThePath()
    {
        var location = RemoteLocation.Parse(kind: null, "http://127.0.0.1:10000/devstoreaccount1/models/recurring");

        Assert.Equal(RemoteCheckpointOptions.AzureBlob, location.Kind);
        Assert.Equal(("models", "recurring"), (location.Container, location.Prefix));
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1/models"), location.ServiceUrl);
    }

    [Fact]
    public void ASasTokenNeverAppearsInWhatIsShown()
    {
        var location = RemoteLocation.Parse(kind: null, "https://acct.blob.core.windows.net/models/recurring?sv=2024&sig=SECRET");

        Assert.DoesNotContain("SECRET", location.Display);
        Assert.Contains("sig=SECRET", location.ServiceUrl!.Query);
    }

    [Fact]
    public void SecretsAreMaskedInTheOptionsText()
    {
        var options = new RemoteCheckpointOptions { Kind = "s3", Uri = "s3://b/p", AccessKeyId = "AKIAEXAMPLE", SecretAccessKey = "wJalrXUtnFEMI", AccountKey = "key==" };

        var text = options.ToString();

        Assert.DoesNotContain("AKIAEXAMPLE", text);
        Assert.DoesNotContain("wJalrXUtnFEMI", text);
        Assert.DoesNotContain("key==", text);
        Assert.Contains("SecretAccessKey=***", text);
    }

    [Fact]
    public void ProblemsAreNamedRelativeToTheCheckpointsSection()
    {
        var options = new RemoteCheckpointOptions { Kind = "s3", Uri = "ftp://x/y", Backlog = 0, AccessKeyId = "only-one" };

        var problems = options.Validate();

        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("Remote:", p));
        Assert.Contains(problems, p => p.StartsWith("Remote:Uri must start with s3://", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownKindIsRejectedWithTheKnownOnes()
    {
        var problems = new RemoteCheckpointOptions { Kind = "gcs" }.Validate();

        Assert.Equal(["Remote:Kind must be one of none, s3, azure-blob, not 'gcs'."], problems);
    }

    [Fact]
    public void AnEmulatorUrlWithoutAKeyIsRejectedBeforeStart()
    {
        var problems = new RemoteCheckpointOptions { Kind = "azure-blob", Uri = "http://127.0.0.1:10000/devstoreaccount1/models" }.Validate();

        Assert.Single(problems);
        Assert.Contains("Remote:AccountKey or Remote:ConnectionString", problems[0]);
    }

    [Fact]
    public void NoneNeedsNothingElse() => Assert.Empty(new RemoteCheckpointOptions().Validate());
}
