using Microsoft.Playwright;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>
/// One headless Chromium for the collection: Debian's <c>/usr/bin/chromium</c> (installed by the test command),
/// or the browser named by <c>WARMTRANSFER_CHROMIUM</c>. Each test opens its own contexts, one per agent.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots of each step, kept as test artifacts under <c>artifacts/screenshots</c>.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    /// <summary>axe-core's engine, installed from tests/AppHost.Tests/js by ./test.sh.</summary>
    public static string AxeScript { get; } = Path.Combine(RepositoryRoot(), "tests", "AppHost.Tests", "js", "node_modules", "axe-core", "axe.min.js");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("WARMTRANSFER_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(executable), $"Chromium is not at {executable}: run ./test.sh, which installs it, or set WARMTRANSFER_CHROMIUM.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WarmTransfer.sln")))
            {
                return directory.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }
}
