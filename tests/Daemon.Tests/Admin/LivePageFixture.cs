using System.Text;
using Microsoft.Playwright;
using Recurring.Daemon.Tests.Daemon;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Admin;

/// <summary>
/// One daemon that trains offline under a short AMGP schedule (so its widths chart has pruned phases), then
/// streams good and malformed events, and Debian's chromium (driven by Playwright, no browser download) showing
/// its live page once the page has charted some streaming. Shared by the page tests: starting both takes seconds.
/// </summary>
public sealed class LivePageFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private const int Events = 17 * DaemonSetup.BatchSize;

    private readonly KafkaClusterFixture _kafka = new();
    private DaemonSetup? _setup;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static bool ChromiumInstalled => File.Exists(ChromiumPath);

    internal RunningDaemon Daemon { get; private set; } = null!;
    public IPage Page { get; private set; } = null!;

    /// <summary>Console errors and uncaught exceptions of the page since it was opened.</summary>
    public List<string> PageErrors { get; } = [];

    public async Task InitializeAsync()
    {
        if (!ChromiumInstalled) return;
        _setup = new DaemonSetup(_kafka)
            // 8 dense steps, 200 pruned, 8 dense, 16 dense to end: the pruned phase lasts many samples of 50 ms
            // even where a step of this tiny model takes a millisecond.
            .With("Offline:SyntheticEvents", $"{232 * 128}")
            .With("Offline:EvaluateEverySteps", "50")
            .With("Offline:Amgp:Mode", "amgp")
            .With("Offline:Amgp:WarmupSteps", "8")
            .With("Offline:Amgp:KeepFraction", "0.5")
            .With("Offline:Amgp:PrunedSteps", "200")
            .With("Offline:Amgp:DenseSteps", "8")
            .With("Offline:Amgp:FinalDenseSteps", "16")
            .With("Admin:SeriesIntervalSeconds", "0.05");
        using var topic = new ClickTopic(_kafka.Cluster.BootstrapServers, _setup.Topic);
        Daemon = await RunningDaemon.StartStreamingAsync(_setup);
        await topic.ProduceEventsAsync(Events);
        await topic.ProduceAsync([(null, Encoding.UTF8.GetBytes("this is not a click event")), (null, Encoding.UTF8.GetBytes("nor is this"))]);
        await Daemon.WaitUntilAsync(s => s.Streaming.EventsTrained == Events && s.Streaming.DeadLettered.Values.Sum() == 2 && s.Streaming.ProgressiveWindow is not null,
            "the events are trained, the malformed ones dead-lettered");

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        Page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1500 } });
        Page.Console += (_, message) => { if (message.Type == "error") PageErrors.Add(message.Text); };
        Page.PageError += (_, error) => PageErrors.Add(error);
        await Page.GotoAsync(Address);
        await Page.WaitForFunctionAsync("() => Number(document.getElementById('chart-quality').dataset.points) > 0");
        if (Environment.GetEnvironmentVariable("LIVE_PAGE_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await Page.WaitForFunctionAsync("() => document.querySelectorAll('#checkpoints tbody tr').length > 0");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        }
    }

    private string Address => Daemon.Http.BaseAddress!.ToString();

    /// <summary>A browser context of its own (no state shared with <see cref="Page"/>), for a test that needs a fresh page.</summary>
    public Task<IBrowserContext> NewBrowserContextAsync() => _browser!.NewContextAsync();

    /// <summary>The live page, opened in <paramref name="context"/>.</summary>
    public async Task<IPage> OpenPageAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(Address);
        return page;
    }

    /// <summary>How many samples the chart in the element of that id holds, as the page reports it.</summary>
    public async Task<int> PointsIn(string chartId) =>
        int.Parse(await Page.Locator($"#{chartId}").GetAttributeAsync("data-points") ?? "0");

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_setup is not null)
        {
            await Daemon.DisposeAsync();
            _setup.Dispose();
        }
        _kafka.Dispose();
    }
}
