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
        Assert.Equal(new[] { 13, 32, 16 }, settings.ToDlrmConfig().BottomLayers);
    }

    [Fact]
    public void DefaultsApplyWhenNothingIsConfigured()
    {
        var settings = Bind();
        Assert.Equal(new[] { 13, 512, 256, 64, 16 }, settings.ToDlrmConfig().BottomLayers);
        Assert.Empty(settings.Validate());
    }

    [Fact]
    public void ConfiguredSyntheticCardinalitiesReplaceTheDefaults()
    {
        var values = Enumerable.Range(0, 26).Select(i => ($"Synthetic:CategoricalCardinalities:{i}", "7")).ToArray();
        var settings = Bind(values);
        Assert.Equal(Enumerable.Repeat(7, 26), settings.Synthetic.CategoricalCardinalities);
        Assert.Empty(settings.Validate());
    }

    [Fact]
    public void EveryInvalidKeyGetsItsOwnLineNamingIt()
    {
        var errors = Bind(("Training:BatchSize", "0"), ("Training:Device", "tpu"), ("Offline:Amgp:KeepFraction", "1.5")).Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Training:BatchSize"));
        Assert.Contains(errors, e => e.StartsWith("Training:Device"));
        Assert.Contains(errors, e => e.StartsWith("Offline:Amgp:KeepFraction"));
    }

    [Theory]
    [InlineData("prune-only", Recurring.Core.Growth.AmgpMode.PruneOnly)]
    [InlineData("PruneOnly", Recurring.Core.Growth.AmgpMode.PruneOnly)]
    [InlineData("amgp", Recurring.Core.Growth.AmgpMode.Amgp)]
    public void AmgpModeAcceptsKebabAndPascalCase(string text, Recurring.Core.Growth.AmgpMode expected)
    {
        Assert.Equal(expected, Bind(("Offline:Amgp:Mode", text)).Offline.Amgp.Mode);
    }

    [Fact]
    public void AnUnknownAmgpModeNamesTheKeyAndTheAcceptedValues()
    {
        var error = Assert.Single(Bind(("Offline:Amgp:Mode", "sparse")).Validate());
        Assert.Contains("Offline:Amgp:Mode", error);
        Assert.Contains("prune-only", error);
    }

    [Fact]
    public void AValueThatDoesNotConvertDoesNotHideProblemsInOtherSections()
    {
        var errors = Bind(("Training:BatchSize", "many"), ("Admin:Port", "-1")).Validate();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("Training:BatchSize"));
        Assert.Contains(errors, e => e.StartsWith("Admin:Port"));
    }

    [Fact]
    public void LogsAreTextUnlessJsonIsAskedFor()
    {
        Assert.Equal(LogFormat.Text, Bind().Log.Format);
        Assert.Equal(LogFormat.Json, Bind(("Log:Format", "json")).Log.Format);
        Assert.Contains("Log:Format", Assert.Single(Bind(("Log:Format", "xml")).Validate()));
    }

    [Fact]
    public void CoreAndCheckpointingProblemsGetTheirSectionPrefixedOnce()
    {
        var errors = Bind(
            ("Model:EmbeddingInitBound", "-1"),
            ("Training:Optimizer:Epsilon", "0"),
            ("Offline:Amgp:FinalDenseSteps", "0"),
            ("Synthetic:ZipfExponent", "0"),
            ("Checkpoints:KeepLast", "0"),
            ("Kafka:Retry:MaxAttempts", "0")).Validate();

        Assert.Equal(
        [
            "Model:EmbeddingInitBound must be a positive number, not -1.",
            "Training:Optimizer:Epsilon must be positive, not 0.",
            "Offline:Amgp:FinalDenseSteps must be at least 1: AMGP always ends with a full-size dense phase, not 0.",
            "Synthetic:ZipfExponent must be positive and finite; got 0.",
            "Checkpoints:KeepLast must be at least 1 (the newest checkpoint is what a restart resumes from), not 0.",
            "Kafka:Retry:MaxAttempts must be at least 1 (1 = no retry), not 0.",
        ], errors);
    }

    [Fact]
    public void AZeroLayerWidthNamesTheListItIsIn()
    {
        Assert.StartsWith("Model:TopHidden: every layer width must be at least 1", Assert.Single(Bind(("Model:TopHidden:0", "0")).Validate()));
    }
}
