using TorchSharp;

namespace Recurring.Core.Tests;

public class TorchLoadingTests
{
    [Fact]
    public void NativeTorchLoadsAndComputes()
    {
        using var a = torch.arange(1, 5, dtype: torch.float32);
        using var product = a.dot(a);
        Assert.Equal(30f, product.item<float>());
    }
}
