using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>Where the daemon writes: the checkpoint volume, and /tmp on an otherwise read-only root.</summary>
public sealed class HelmChartStorageTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void CheckpointDirectoryLiesOnTheVolumeOfTheChartsClaim()
    {
        var claimName = chart.Single("PersistentVolumeClaim").Mapping("metadata").Scalar("name");
        var dataVolume = chart.PodSpec.Sequence("volumes").Children.Cast<YamlMappingNode>()
            .Single(volume => volume.Child("persistentVolumeClaim") is YamlMappingNode claim && claim.Scalar("claimName") == claimName);
        var mountPath = chart.VolumeMount(dataVolume.Scalar("name")).Scalar("mountPath");

        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, chart.EnvironmentValue("RECURRING_Checkpoints__Directory"));
        Assert.StartsWith(mountPath + "/", DeploymentAssumptions.CheckpointDirectory + "/");
    }

    [Fact]
    public void RenderingFailsWhenTheCheckpointDirectoryIsOffThePersistentVolume()
    {
        var render = Helm.TryTemplate(null, "checkpoints.directory=/tmp/checkpoints");

        Assert.NotEqual(0, render.ExitCode);
        Assert.Contains("checkpoints.directory (/tmp/checkpoints) must lie under persistence.mountPath", render.StandardError);
    }

    [Fact]
    public void ConfiguredCheckpointDirectoryReachesTheDaemon()
    {
        var relocated = Helm.Template(null, "checkpoints.directory=/var/lib/recurring/models");

        Assert.Equal("/var/lib/recurring/models", relocated.EnvironmentValue("RECURRING_Checkpoints__Directory"));
    }

    [Fact]
    public void DeadLetterFileLiesOnTheCheckpointVolume()
    {
        var mountPath = chart.VolumeMount("data").Scalar("mountPath");

        Assert.StartsWith(mountPath + "/", chart.EnvironmentValue("RECURRING_Streaming__DeadLetterFile"));
    }

    [Fact]
    public void ClaimIsKeptWhenTheReleaseIsUninstalled()
    {
        var annotations = chart.Single("PersistentVolumeClaim").Mapping("metadata").Mapping("annotations");

        Assert.Equal("keep", annotations.Scalar("helm.sh/resource-policy"));
    }

    [Fact]
    public void ClaimTakesSizeAndStorageClassFromTheValues()
    {
        var claim = Helm.Template(null, "persistence.size=200Gi", "persistence.storageClassName=fast-ssd")
            .Single("PersistentVolumeClaim").Mapping("spec");

        Assert.Equal("200Gi", claim.Mapping("resources").Mapping("requests").Scalar("storage"));
        Assert.Equal("fast-ssd", claim.Scalar("storageClassName"));
    }

    [Fact]
    public void ExistingClaimReplacesTheChartsClaim()
    {
        var withExistingClaim = Helm.Template(null, "persistence.existingClaim=recurring-restored");

        Assert.Empty(withExistingClaim.OfKind("PersistentVolumeClaim"));
        Assert.Equal("recurring-restored",
            withExistingClaim.Volume("data").Mapping("persistentVolumeClaim").Scalar("claimName"));
    }

    [Fact]
    public void TmpIsAWritableEmptyDir()
    {
        Assert.Equal("/tmp", chart.VolumeMount("tmp").Scalar("mountPath"));
        Assert.NotNull(chart.Volume("tmp").Child("emptyDir"));
    }
}
