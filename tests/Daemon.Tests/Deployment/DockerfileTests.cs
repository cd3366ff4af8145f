namespace Recurring.Daemon.Tests.Deployment;

/// <summary>The essentials of both images, checked by reading the Dockerfiles (no Docker engine here).</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => new() { "Dockerfile", "Dockerfile.cuda" };

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageRunsAsTheNonRootUserTheChartExpects(string path)
    {
        var user = Dockerfile.Load(path).FinalStageArguments("USER");

        Assert.Equal(DeploymentAssumptions.ImageUserId.ToString(), user);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageStartsRecurringRunByDefault(string path)
    {
        var dockerfile = Dockerfile.Load(path);

        Assert.Equal(["/app/recurring"], dockerfile.FinalStageExecForm("ENTRYPOINT"));
        Assert.Equal(["run"], dockerfile.FinalStageExecForm("CMD"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageExposesTheAdminPort(string path)
    {
        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), Dockerfile.Load(path).FinalStageArguments("EXPOSE"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageAdminEndpointListensOnAllInterfacesAtTheAdminPort(string path)
    {
        var environment = Dockerfile.Load(path).FinalStageEnvironment();

        Assert.Equal("0.0.0.0", environment["RECURRING_Admin__BindAddress"]);
        Assert.Equal(DeploymentAssumptions.AdminPort.ToString(), environment["RECURRING_Admin__Port"]);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageKeepsCheckpointsInItsVolume(string path)
    {
        var dockerfile = Dockerfile.Load(path);
        var volume = Assert.Single(dockerfile.FinalStageExecForm("VOLUME"));

        Assert.Equal(DeploymentAssumptions.CheckpointDirectory, dockerfile.FinalStageEnvironment()["RECURRING_Checkpoints__Directory"]);
        Assert.StartsWith(volume + "/", DeploymentAssumptions.CheckpointDirectory + "/");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageHostShutdownTimeoutOutlastsTheLongestCheckpoint(string path)
    {
        var seconds = int.Parse(Dockerfile.Load(path).FinalStageEnvironment()["DOTNET_shutdownTimeoutSeconds"]);

        Assert.True(TimeSpan.FromSeconds(seconds) > DeploymentAssumptions.LongestCheckpoint, $"{seconds} s");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageIsBuiltByTheDotnet10Sdk(string path)
    {
        var stages = Dockerfile.Load(path).Stages;

        Assert.True(stages.Count >= 2, "expected a build stage and a runtime stage");
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Dockerfile.BaseImage(stages[0]));
    }

    [Fact]
    public void CpuImageRunsOnTheAspnetRuntimeImage()
    {
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Dockerfile.BaseImage(Dockerfile.Load("Dockerfile").FinalStage));
    }

    [Fact]
    public void CudaImagePublishesWithoutTheCpuLibtorch()
    {
        var publish = Dockerfile.Load("Dockerfile.cuda").Stages[0]
            .Single(instruction => instruction.Keyword == "RUN" && instruction.Arguments.Contains("dotnet publish"));

        Assert.Contains("-p:BundleHostLibTorch=true", publish.Arguments);
    }

    [Fact]
    public void CudaImagePointsTorchsharpAndTheLoaderAtTheBaseImagesLibtorch()
    {
        var environment = Dockerfile.Load("Dockerfile.cuda").FinalStageEnvironment();
        var torchDirectory = environment["RECURRING_Torch__NativeLibraryDirectory"];

        Assert.StartsWith(torchDirectory, environment["LD_LIBRARY_PATH"]);
    }

    [Fact]
    public void DockerignoreAdmitsOnlyWhatThePublishReads()
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
