using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>The agent's day in the page: activity with its reason and time, wrap-up, and a transfer to the next free colleague.</summary>
public sealed partial class PortalBrowserTests
{
    [Fact]
    public async Task The_page_shows_the_activity_with_its_reason_and_time_and_wrap_up_with_Ready_and_More_time_at_phone_width()
    {
        const string test = nameof(The_page_shows_the_activity_with_its_reason_and_time_and_wrap_up_with_Ready_and_More_time_at_phone_width);
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var walter = await OpenDeskAsync(test, WarmTransferAppFixture.LongWrapUpAgent, emulator, width: 390,
            password: WarmTransferAppFixture.LoadAgentPassword);

        // Away for lunch: the page says so, and for how long.
        await walter.Page.GetByLabel("Reason for being away").SelectOptionAsync("Lunch");
        await Expect(walter.Page.Locator("#activity-reason")).ToHaveTextAsync("— Lunch");
        await Expect(walter.Page.Locator("#activity-time")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+:\d\d$"));
        await walter.ScreenshotAsync("away-for-lunch");
        Assert.Empty(await walter.AccessibilityViolationsAsync());

        // Available, a call, and the end of it: wrap-up holds the next call until Ready.
        await walter.ChoosePresenceAsync("Available", "Available");
        var customer = await emulator.CallSupportLineAsync(SystemState.NewNumber());
        await walter.Button("Accept").ClickAsync();
        await Expect(walter.Call).ToBeVisibleAsync();
        await walter.Button("End call").ClickAsync();
        await Expect(walter.Message).ToHaveTextAsync("The call ended.");
        var wrapUp = walter.Page.GetByRole(AriaRole.Region, new() { Name = "Wrap-up" });
        await Expect(wrapUp).ToBeVisibleAsync();
        await Expect(walter.Page.Locator("#routing-status")).ToHaveTextAsync("Wrap-up");
        await Expect(walter.Page.Locator("#wrap-up-left")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^(9|10):\d\d$"));

        await walter.Button("More time").ClickAsync();
        await Expect(walter.Button("More time")).ToBeHiddenAsync();
        await Expect(walter.Page.Locator("#wrap-up-left")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^(19|20):\d\d$"));
        await walter.ScreenshotAsync("wrap-up");
        Assert.Empty(await walter.AccessibilityViolationsAsync());

        // Ready, from the keyboard.
        await walter.Button("Ready").FocusAsync();
        await walter.Page.Keyboard.PressAsync("Enter");
        await Expect(wrapUp).ToBeHiddenAsync();
        await Expect(walter.Page.Locator("#routing-status")).ToHaveTextAsync("Available");
        await walter.ChoosePresenceAsync("Away", "Away");
        await Eventually.HoldsAsync(async () => (await emulator.ConferenceAsync(customer))?.Status == "completed" ? null : "the conference has not ended",
            StepTimeout);
        Assert.Empty(walter.ConsoleErrors);
    }

    [Fact]
    public async Task A_transfer_to_the_next_free_colleague_waits_then_rings_the_first_colleague_freed_with_the_note()
    {
        const string test = nameof(A_transfer_to_the_next_free_colleague_waits_then_rings_the_first_colleague_freed_with_the_note);
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var desks = await AliceHasACustomerAndBobIsAvailableAsync(test, emulator);
        var (alice, bob, carol, customer) = desks;
        await bob.ChoosePresenceAsync("Away", "Away");

        // Nobody is free: Alice asks for the next free colleague anyway, with a note; the transfer waits and she sees for how long.
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToHaveTextAsync("Next free colleague (nobody is free now)");
        await alice.Page.GetByLabel("Note for your colleague (optional)").FillAsync("Second-line question about invoice 77");
        await alice.Button("Transfer").ClickAsync();
        await Expect(alice.CallMessage).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Waiting for a colleague \(0:\d\d\)…$"));
        await Expect(alice.Button("Cancel transfer")).ToBeVisibleAsync();
        await alice.ScreenshotAsync("waiting-for-a-colleague");
        Assert.Empty(await alice.AccessibilityViolationsAsync());

        // Bob comes back first: he is rung for the transfer, and his ringing panel says who transfers and why.
        await bob.ChoosePresenceAsync("Available", "Ringing");
        await Expect(bob.Incoming).ToContainTextAsync("Alice Agent is transferring customer");
        await Expect(bob.Incoming).ToContainTextAsync("Note from your colleague: Second-line question about invoice 77");
        await bob.ScreenshotAsync("next-free-colleague-ringing");
        Assert.Empty(await bob.AccessibilityViolationsAsync());
        await bob.Button("Accept").ClickAsync();
        await Expect(alice.CallMessage).ToHaveTextAsync("Bob Agent is in the call. Leave the call to hand the customer over.");
        await alice.Button("Leave call").ClickAsync();
        await Expect(alice.Message).ToHaveTextAsync("You left the call; Bob Agent has the customer.");
        await Expect(bob.AgentsInCall).ToHaveTextAsync("Bob Agent (you) — in the call");
        await ConferenceIsAsync(emulator, customer, "customer", "agent2");

        await EndsTheCallAsync(bob, emulator, customer, alice, bob, carol);
    }
}
