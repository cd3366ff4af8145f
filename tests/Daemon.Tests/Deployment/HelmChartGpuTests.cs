using YamlDotNet.RepresentationModel;

namespace Recurring.Daemon.Tests.Deployment;

public sealed class HelmChartGpuTests
{
    private const string GpuResource = "nvidia.com/gpu";

    private readonly RenderedChart cpu = Helm.Template();
    private readonly RenderedChart gpu = Helm.Template("ci/gpu-values.yaml");

    [Fact]
    public void DefaultValuesRequestNoGpu()
    {
        var resources = cpu.Container.Mapping("resources");

        Assert.All(new[] { "limits", "requests" },
            section => Assert.Null((resources.Child(section) as YamlMappingNode)?.Child(GpuResource)));
        Assert.Null(cpu.EnvironmentVariable("RECURRING_Training__Device"));
    }

    [Fact]
    public void GpuValuesLimitTheContainerToOneNvidiaGpu()
    {
        Assert.Equal("1", gpu.Container.Mapping("resources").Mapping("limits").Scalar(GpuResource));
    }

    [Fact]
    public void GpuValuesKeepTheMemoryLimit()
    {
        Assert.Equal("8Gi", gpu.Container.Mapping("resources").Mapping("limits").Scalar("memory"));
    }

    [Fact]
    public void GpuValuesTrainOnCuda()
    {
        Assert.Equal("cuda", gpu.EnvironmentValue("RECURRING_Training__Device"));
    }

    [Fact]
    public void GpuValuesPassNodeSelectorAndTolerationsThrough()
    {
        var toleration = (YamlMappingNode)gpu.PodSpec.Sequence("tolerations").Children.Single();

        Assert.Equal("true", gpu.PodSpec.Mapping("nodeSelector").Scalar("nvidia.com/gpu.present"));
        Assert.Equal(GpuResource, toleration.Scalar("key"));
        Assert.Equal("NoSchedule", toleration.Scalar("effect"));
    }
}
