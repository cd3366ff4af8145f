using Microsoft.Extensions.Configuration;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Configuration;

public class RecurringSettingsTests
{
    private static RecurringSettings Bind(params (string Key, string Value)[] values) =>
        RecurringSettings.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void ConfiguredLayerListsReplaceTheDefaultsInsteadOfExtendingThem()
    {
        var settings = Bind(("Model:BottomLayers:0", "13"), ("Model:BottomLayers:1", "32"), ("Model:BottomLayers:2", "16"));
        Assert.Equal(new[] { 13, 32, 16 }, settings.Model.BottomLayers);
    }

    [Fact]
    public void DefaultsApplyWhenNothingIsConfigured()
    {
        var settings = Bind();
        Assert.Equal(new[] { 13, 512, 256, 64, 16 }, settings.Model.BottomLayers);
        Assert.Empty(settings.Validate());
    }
}
