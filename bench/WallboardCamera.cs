using Microsoft.Playwright;

namespace WarmTransfer.Benchmarks;

/// <summary>
/// The supervisor's wallboard as a wall screen shows it (1920×1080), photographed in Debian's Chromium while a scenario runs:
/// the development supervisor signs in on the portal's page and is taken to the wallboard.
/// </summary>
public static class WallboardCamera
{
    private const string Supervisor = "super1";
    private const string SupervisorPassword = "super1-dev-password";

    public static async Task TakeAsync(Uri portal, string path, CancellationToken cancellationToken)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("WARMTRANSFER_CHROMIUM") ?? "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = portal.ToString(), ViewportSize = new() { Width = 1920, Height = 1080 } });
        await page.GotoAsync("/");
        await page.GetByLabel("Agent id").FillAsync(Supervisor);
        await page.GetByLabel("Password").FillAsync(SupervisorPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/wallboard");
        await page.Locator("#live-state").Filter(new() { HasText = "connected" }).WaitForAsync();
        // A few pushes, so the figures and the chart are the scenario's.
        await page.WaitForTimeoutAsync(3000);
        cancellationToken.ThrowIfCancellationRequested();
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }
}
