namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The essentials of both images, checked by reading the Dockerfiles (no Docker engine here).</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => new() { "Dockerfile", "Dockerfile.cuda" };

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_runs_as_the_non_root_user_the_chart_expects(string path)
    {
        var user = Dockerfile.Load(path).FinalStageArguments("USER");

        Assert.Equal(DeploymentAssumptions.ImageUserId.ToString(), user);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_starts_recurring_run_by_default(string path)
    {
        var dockerfile = Dockerfile.Load(path);

        Assert.Equal(["/app/recurring"], dockerfile.FinalStageExecForm("ENTRYPOINT"));
        Assert.Equal(["run"], dockerfile.FinalStageExecForm("CMD"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_exposes_the_admin_port(string path)
    {
        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), Dockerfile.Load(path).FinalStageArguments("EXPOSE"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_admin_endpoint_listens_on_all_interfaces_at_the_admin_port(string path)
    {
        var environment = Dockerfile.Load(path).FinalStageEnvironment();

        Assert.Equal("0.0.0.0", environment["RECURRING_Admin__BindAddress"]);
        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), environment["RECURRING_Admin__Port"]);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_keeps_checkpoints_in_its_volume(string path)
    {
        var dockerfile = Dockerfile.Load(path);
        var volume = Assert.Single(dockerfile.FinalStageExecForm("VOLUME"));

        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, dockerfile.FinalStageEnvironment()["RECURRING_Checkpoints__Directory"]);
        Assert.StartsWith(volume + "/", DeploymentAssumptions.CheckpointDirectory + "/");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_host_shutdown_timeout_outlasts_the_longest_checkpoint(string path)
    {
        var seconds = int.Parse(Dockerfile.Load(path).FinalStageEnvironment()["DOTNET_shutdownTimeoutSeconds"]);

        Assert.True(TimeSpan.FromSeconds(seconds) > DeploymentAssumptions.LongestCheckpoint, $"{seconds} s");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_is_built_by_the_dotnet_10_sdk(string path)
    {
        var stages = Dockerfile.Load(path).Stages;

        Assert.True(stages.Count >= 2, "expected a build stage and a runtime stage");
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Dockerfile.BaseImage(stages[0]));
    }

    [Fact]
    public void Cpu_image_runs_on_the_aspnet_runtime_image()
    {
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Dockerfile.BaseImage(Dockerfile.Load("Dockerfile").FinalStage));
    }

    [Fact]
    public void Cuda_image_publishes_without_the_cpu_libtorch()
    {
        var publish = Dockerfile.Load("Dockerfile.cuda").Stages[0]
            .Single(instruction => instruction.Keyword == "RUN" && instruction.Arguments.Contains("dotnet publish"));

        Assert.Contains("-p:BundleHostLibTorch=true", publish.Arguments);
    }

    [Fact]
    public void Cuda_image_points_torchsharp_and_the_loader_at_the_base_images_libtorch()
    {
        var environment = Dockerfile.Load("Dockerfile.cuda").FinalStageEnvironment();
        var torchDirectory = environment["RECURRING_Torch__NativeLibraryDirectory"];

        Assert.StartsWith(torchDirectory, environment["LD_LIBRARY_PATH"]);
    }

    [Fact]
    public void Dockerignore_admits_only_what_the_publish_reads()
    {
        var patterns = RepositoryLayout.ReadText(".dockerignore").Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();

        Assert.Equal("*", patterns[0]);
        Assert.Equal(
            ["!Directory.Build.props", "!Directory.Build.targets", "!Directory.Packages.props", "!appsettings.json", "!build/", "!src/"],
            patterns.Where(pattern => pattern.StartsWith('!')).Order(StringComparer.Ordinal));
        Assert.Equal(["**/bin/", "**/obj/"], patterns.Skip(patterns.FindLastIndex(pattern => pattern.StartsWith('!')) + 1));
    }
}
