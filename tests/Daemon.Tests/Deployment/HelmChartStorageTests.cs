using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>Where the daemon writes: the checkpoint volume, and /tmp on an otherwise read-only root.</summary>
public sealed class HelmChartStorageTests
{
    private readonly RenderedChart chart = Helm.Template();

    [Fact]
    public void Checkpoint_directory_lies_on_the_volume_of_the_charts_claim()
    {
        var claimName = chart.Single("PersistentVolumeClaim").Mapping("metadata").Scalar("name");
        var dataVolume = chart.PodSpec.Sequence("volumes").Children.Cast<YamlMappingNode>()
            .Single(volume => volume.Child("persistentVolumeClaim") is YamlMappingNode claim && claim.Scalar("claimName") == claimName);
        var mountPath = chart.VolumeMount(dataVolume.Scalar("name")).Scalar("mountPath");

        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, chart.EnvironmentValue("RECURRING_Checkpoints__Directory"));
        Assert.StartsWith(mountPath + "/", DeploymentAssumptions.CheckpointDirectory + "/");
    }

    [Fact]
    public void Rendering_fails_when_the_checkpoint_directory_is_off_the_persistent_volume()
    {
        var render = Helm.TryTemplate(null, "checkpoints.directory=/tmp/checkpoints");

        Assert.NotEqual(0, render.ExitCode);
        Assert.Contains("checkpoints.directory (/tmp/checkpoints) must lie under persistence.mountPath", render.StandardError);
    }

    [Fact]
    public void Configured_checkpoint_directory_reaches_the_daemon()
    {
        var relocated = Helm.Template(null, "checkpoints.directory=/var/lib/recurring/models");

        Assert.Equal("/var/lib/recurring/models", relocated.EnvironmentValue("RECURRING_Checkpoints__Directory"));
    }

    [Fact]
    public void Dead_letter_file_lies_on_the_checkpoint_volume()
    {
        var mountPath = chart.VolumeMount("data").Scalar("mountPath");

        Assert.StartsWith(mountPath + "/", chart.EnvironmentValue("RECURRING_Streaming__DeadLetterFile"));
    }

    [Fact]
    public void Claim_is_kept_when_the_release_is_uninstalled()
    {
        var annotations = chart.Single("PersistentVolumeClaim").Mapping("metadata").Mapping("annotations");

        Assert.Equal("keep", annotations.Scalar("helm.sh/resource-policy"));
    }

    [Fact]
    public void Claim_takes_size_and_storage_class_from_the_values()
    {
        var claim = Helm.Template(null, "persistence.size=200Gi", "persistence.storageClassName=fast-ssd")
            .Single("PersistentVolumeClaim").Mapping("spec");

        Assert.Equal("200Gi", claim.Mapping("resources").Mapping("requests").Scalar("storage"));
        Assert.Equal("fast-ssd", claim.Scalar("storageClassName"));
    }

    [Fact]
    public void Existing_claim_replaces_the_charts_claim()
    {
        var withExistingClaim = Helm.Template(null, "persistence.existingClaim=recurring-restored");

        Assert.Empty(withExistingClaim.OfKind("PersistentVolumeClaim"));
        Assert.Equal("recurring-restored",
            withExistingClaim.Volume("data").Mapping("persistentVolumeClaim").Scalar("claimName"));
    }

    [Fact]
    public void Tmp_is_a_writable_empty_dir()
    {
        Assert.Equal("/tmp", chart.VolumeMount("tmp").Scalar("mountPath"));
        Assert.NotNull(chart.Volume("tmp").Child("emptyDir"));
    }
}
