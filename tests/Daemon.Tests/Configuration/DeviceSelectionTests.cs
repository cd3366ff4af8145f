using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;
using Recurring.Daemon.Configuration;
using static TorchSharp.torch;

namespace Recurring.Daemon.Tests.Configuration;

public class DeviceSelectionTests
{
    [Fact]
    public void ANativeLibraryFolderWithoutLibtorchIsRefusedListingWhatWasTried()
    {
        var empty = Directory.CreateTempSubdirectory("recurring-no-libtorch-");
        try
        {
            var error = Assert.Throws<ArgumentException>(() => TorchRuntime.LoadFrom(empty.FullName));
            Assert.Contains("Torch:NativeLibraryDirectory", error.Message);
            Assert.Contains($"missing {Path.Combine(empty.FullName, "libc10.so")}", error.Message);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void AMissingNativeLibraryFolderIsAConfigurationError()
    {
        var errors = new TorchOptionsValidator().Problems(new TorchOptions { NativeLibraryDirectory = "/no/such/folder" });
        Assert.Equal("Torch:NativeLibraryDirectory: '/no/such/folder' is not a folder.", Assert.Single(errors));
    }

    [Fact]
    public void CpuIsAlwaysAvailableAndReportsItsLibtorch()
    {
        var device = DeviceSelection.Resolve(new TrainingOptions { Device = "cpu" }, new TorchOptions());
        Assert.Equal(TorchSharp.DeviceType.CPU, device.Device.type);
        Assert.Null(device.Gpu);
        Assert.NotNull(device.LibTorchDirectory);
    }

    [SkippableFact]
    public void CudaIsRefusedWithAClearErrorWhereLibtorchHasNoCuda()
    {
        Skip.If(TorchSharp.torch.TryInitializeDeviceType(TorchSharp.DeviceType.CUDA) && cuda.is_available(), "this machine has a usable CUDA device");
        var error = Assert.Throws<ArgumentException>(() => DeviceSelection.Resolve(new TrainingOptions { Device = "cuda" }, new TorchOptions()));
        Assert.Contains("Training:Device", error.Message);
        Assert.Contains("Torch:NativeLibraryDirectory", error.Message);
    }

    [SkippableFact]
    public void ATrainingStepOnCudaMatchesTheCpuStep()
    {
        Skip.IfNot(TorchSharp.torch.TryInitializeDeviceType(TorchSharp.DeviceType.CUDA) && cuda.is_available(),
            "no CUDA device: this build's libtorch is CPU-only (see scripts/publish-bundle.sh for GPU machines)");
        var config = new DlrmConfig { EmbeddingDim = 4, Features = FeatureSchema.Criteo(50), BottomLayers = [13, 8, 4], TopHidden = [8] };
        var batch = new FeatureBatch(config.Features, 64);
        var random = new Random(1);
        for (int i = 0; i < 64; i++)
            batch.Add(Enumerable.Range(0, 13).Select(_ => (float)random.NextDouble()).ToArray(), Enumerable.Range(0, 26).Select(_ => (long)random.Next(50)).ToArray(), random.Next(4) == 0);
        float[] ScoresAfterOneStep(Device device)
        {
            using var model = new DlrmModel(config, device, seed: 1);
            using var trainer = new DlrmTrainer(model, new OptimizerOptions());
            trainer.TrainStep(batch);
            return trainer.Predict(batch);
        }
        var cpu = ScoresAfterOneStep(CPU);
        var gpu = ScoresAfterOneStep(CUDA);
        for (int i = 0; i < cpu.Length; i++) Assert.Equal(cpu[i], gpu[i], 1e-4f);
    }
}
