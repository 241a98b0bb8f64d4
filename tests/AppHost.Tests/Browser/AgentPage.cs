using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>One agent's portal page in a browser context of its own (own cookies), with what its console reported.</summary>
public sealed class AgentPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly string _screenshots;
    private int _step;

    private AgentPage(IBrowserContext context, IPage page, string screenshots)
    {
        _context = context;
        Page = page;
        _screenshots = screenshots;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                ConsoleErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => ConsoleErrors.Add(error);
    }

    public IPage Page { get; }

    public List<string> ConsoleErrors { get; } = [];

    public ILocator Incoming => Page.GetByRole(AriaRole.Alertdialog, new() { Name = "Incoming call" });

    public ILocator Call => Page.GetByRole(AriaRole.Region, new() { Name = "Customer call" });

    public ILocator CallMessage => Page.Locator("#call-message");

    public ILocator Message => Page.Locator("#message");

    public ILocator AgentsInCall => Page.GetByRole(AriaRole.List, new() { Name = "Agents in the call" });

    public ILocator Button(string name) => Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>Opens the portal in a new context; <paramref name="width"/> 390 is a phone.</summary>
    public static async Task<AgentPage> OpenAsync(IBrowser browser, Uri portal, string test, string agent, int width = 1100)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        var page = await context.NewPageAsync();
        var screenshots = Path.Combine(BrowserFixture.ScreenshotDirectory, test, agent);
        Directory.CreateDirectory(screenshots);
        await page.GotoAsync("/");
        return new AgentPage(context, page, screenshots);
    }

    /// <summary>Signs in through the form; the softphone then registers by itself.</summary>
    public async Task SignInAsync(string agentId, string password)
    {
        await Page.GetByLabel("Agent id").FillAsync(agentId);
        await Page.GetByLabel("Password").FillAsync(password);
        await Button("Sign in").ClickAsync();
        await Expect(Page.Locator("#softphone-state")).ToHaveTextAsync("ready");
        await Expect(Page.Locator("#live-state")).ToHaveTextAsync("connected");
    }

    public async Task ChoosePresenceAsync(string presence, string routingSees)
    {
        await Page.GetByRole(AriaRole.Radio, new() { Name = presence, Exact = true }).CheckAsync();
        await Expect(Page.Locator("#routing-status")).ToHaveTextAsync(routingSees);
    }

    /// <summary>axe-core's WCAG 2 A and AA rules over the page as it is now: each violation with the elements it found.</summary>
    public async Task<IReadOnlyList<string>> AccessibilityViolationsAsync()
    {
        Assert.True(File.Exists(BrowserFixture.AxeScript), $"axe-core is not at {BrowserFixture.AxeScript}: run ./test.sh, which installs it.");
        if (!await Page.EvaluateAsync<bool>("() => typeof axe === 'object'"))
        {
            // Served as if from the page's own origin: its Content-Security-Policy allows no inline script.
            await Page.RouteAsync("**/test-only/axe.min.js", route => route.FulfillAsync(new() { Path = BrowserFixture.AxeScript, ContentType = "text/javascript" }));
            await Page.AddScriptTagAsync(new() { Url = "/test-only/axe.min.js" });
        }

        return await Page.EvaluateAsync<string[]>("""
            async () => (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] })).violations
              .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
            """);
    }

    public async Task ScreenshotAsync(string step) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, $"{++_step:00}-{step}.png"), FullPage = true });

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
