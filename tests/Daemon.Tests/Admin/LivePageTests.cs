using Microsoft.Playwright;
using Recurring.Daemon.Tests.Daemon;

namespace Recurring.Daemon.Tests.Admin;

/// <summary>The page at / in a real browser. Skipped where Debian's chromium is missing (.ci/run installs it).</summary>
[Collection(DaemonCollection.Name)]
public sealed class LivePageTests(LivePageFixture page) : IClassFixture<LivePageFixture>
{
    private static void SkipUnlessChromium() =>
        Skip.IfNot(LivePageFixture.ChromiumInstalled, $"{LivePageFixture.ChromiumPath} is not installed (Debian package chromium; .ci/run installs it)");

    [SkippableFact]
    public async Task ThePageLoadsWithoutConsoleErrors()
    {
        SkipUnlessChromium();
        // A few refreshes of every poll (2 s) and of the checkpoint table (10 s).
        await page.Page.WaitForFunctionAsync("() => document.querySelectorAll('#checkpoints tbody tr').length > 0");

        Assert.Equal("Recurring", await page.Page.TitleAsync());
        Assert.Empty(page.PageErrors);
    }

    [SkippableTheory]
    [InlineData("chart-quality")]
    [InlineData("chart-loss")]
    [InlineData("chart-rate")]
    [InlineData("chart-lag")]
    [InlineData("chart-widths")]
    [InlineData("chart-dead-letters")]
    [InlineData("chart-memory")]
    public async Task EveryChartHasDataPointsAfterSomeStreaming(string chart)
    {
        SkipUnlessChromium();

        Assert.True(await page.PointsIn(chart) > 0, $"{chart} has no data points");
        Assert.Equal(1, await page.Page.Locator($"#{chart} canvas").CountAsync());
    }

    [SkippableFact]
    public async Task TheWidthsChartShowsTheOfflinePrunedPhases()
    {
        SkipUnlessChromium();
        var caption = await page.Page.Locator("#phases").TextContentAsync();

        // Hidden widths 16-8-8 and 16-8 at full size; KeepFraction 0.5 halves them during each pruned phase.
        Assert.StartsWith("Pruned phases (shaded):", caption);
        Assert.Contains("bottom [8, 4, 4] top [8, 4]", caption);
    }

    [SkippableFact]
    public async Task TheControlButtonsAreHiddenWithoutAToken()
    {
        SkipUnlessChromium();
        await using var context = await page.NewBrowserContextAsync();
        var fresh = await page.OpenPageAsync(context);

        Assert.False(await fresh.Locator("#pause").IsVisibleAsync());
        Assert.False(await fresh.Locator("#resume").IsVisibleAsync());
        Assert.False(await fresh.Locator("#checkpoint").IsVisibleAsync());
        await fresh.Locator("#token").FillAsync(DaemonSetup.Token);
        Assert.True(await fresh.Locator("#pause").IsVisibleAsync());
    }

    [SkippableFact]
    public async Task TheButtonsSendTheTokenAndPauseAndResumeTraining()
    {
        SkipUnlessChromium();
        var control = page.Page;
        await control.Locator("#token").FillAsync(DaemonSetup.Token);

        await control.Locator("#pause").ClickAsync();
        await page.Daemon.WaitUntilAsync(s => s.Reader.Paused, "the page's Pause paused training");
        await Assertions.Expect(control.Locator("#control-result")).ToHaveTextAsync("pause: done");
        await control.Locator("#resume").ClickAsync();
        await page.Daemon.WaitUntilAsync(s => !s.Reader.Paused, "the page's Resume resumed training");
    }

    [SkippableFact]
    public async Task AWrongTokenIsRefusedAndSaysSo()
    {
        SkipUnlessChromium();
        await using var context = await page.NewBrowserContextAsync();
        var other = await page.OpenPageAsync(context);
        await other.Locator("#token").FillAsync("not-the-admin-token-at-all");

        await other.Locator("#pause").ClickAsync();
        await Assertions.Expect(other.Locator("#control-result")).ToHaveTextAsync("pause: A valid bearer token is required.");
        Assert.False(page.Daemon.Current.Reader.Paused);
    }
}
