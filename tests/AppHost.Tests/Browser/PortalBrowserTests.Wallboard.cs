using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>The supervisor's wallboard: live figures and agents; agents cannot open it.</summary>
public sealed partial class PortalBrowserTests
{
    [Fact]
    public async Task A_supervisor_sees_a_caller_wait_get_answered_and_the_figures_move_and_an_agent_cannot_open_the_wallboard()
    {
        const string test = nameof(A_supervisor_sees_a_caller_wait_get_answered_and_the_figures_move_and_an_agent_cannot_open_the_wallboard);
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);

        // The supervisor signs in on the portal's page and is taken to the wallboard.
        await using var supervisor = await AgentPage.OpenAsync(browser.Browser, Portal, test, "super1");
        await supervisor.Page.GetByLabel("Agent id").FillAsync("super1");
        await supervisor.Page.GetByLabel("Password").FillAsync("super1-dev-password");
        await supervisor.Button("Sign in").ClickAsync();
        await Expect(supervisor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/wallboard$"));
        await Expect(supervisor.Page.Locator("#live-state")).ToHaveTextAsync("connected");
        var answeredToday = supervisor.Page.Locator("#figures tbody tr", new() { HasText = "Calls answered" }).Locator("td").First;
        var answeredBefore = int.Parse(await answeredToday.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

        // Nobody is available: a caller waits, and the wallboard shows them within a second or so.
        var number = SystemState.NewNumber();
        var customer = await emulator.CallSupportLineAsync(number);
        await Expect(supervisor.Page.Locator("#callers-waiting")).ToHaveTextAsync("1");

        // Alice comes and answers: the caller leaves the line, Alice is on a call with the masked number, the figures move.
        await using var alice = await OpenDeskAsync(test, "agent1", emulator);
        await alice.ChoosePresenceAsync("Available", "Ringing");
        await alice.Button("Accept").ClickAsync();
        await Expect(supervisor.Page.Locator("#callers-waiting")).ToHaveTextAsync("0");
        var aliceRow = supervisor.Page.Locator("#agents tbody tr", new() { HasText = "Alice Agent" });
        await Expect(aliceRow).ToContainTextAsync("On a call");
        await Expect(aliceRow).ToContainTextAsync($"•••{number[^4..]}");
        await Expect(aliceRow).Not.ToContainTextAsync(number);
        await Expect(answeredToday).ToHaveTextAsync((answeredBefore + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(supervisor.Page.Locator("#chart svg")).ToBeVisibleAsync();
        await supervisor.ScreenshotAsync("wallboard");
        Assert.Empty(await supervisor.AccessibilityViolationsAsync());

        // Readable on a wall screen and at laptop width: nothing runs off the side.
        foreach (var (width, height) in new[] { (1920, 1080), (1280, 800) })
        {
            await supervisor.Page.SetViewportSizeAsync(width, height);
            Assert.True(await supervisor.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
                $"the wallboard is wider than a {width}×{height} screen");
            await supervisor.ScreenshotAsync($"wallboard-{width}");
        }

        // An agent gets 403 for the wallboard and its data.
        var page = await alice.Page.Context.APIRequest.GetAsync("/wallboard");
        Assert.Equal((int)HttpStatusCode.Forbidden, page.Status);
        var data = await alice.Page.Context.APIRequest.GetAsync("/api/wallboard");
        Assert.Equal((int)HttpStatusCode.Forbidden, data.Status);

        await EndsTheCallAsync(alice, emulator, customer, alice);
        Assert.Empty(supervisor.ConsoleErrors);

        // Keyboard only: Tab reaches Sign out, and Enter signs the supervisor out.
        await supervisor.Page.Locator("body").FocusAsync();
        await Eventually.HoldsAsync(async () =>
        {
            await supervisor.Page.Keyboard.PressAsync("Tab");
            return await supervisor.Page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''") == "sign-out" ? null : "Tab does not reach Sign out";
        }, StepTimeout);
        await supervisor.Page.Keyboard.PressAsync("Enter");
        await Expect(supervisor.Page.GetByLabel("Agent id")).ToBeVisibleAsync();
    }
}
