using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>
/// The agent portal in headless Chromium against the running system: real pages, the emulator's softphone module,
/// pushes over SignalR. Each step checks both agents' pages and the emulator's conference.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed partial class PortalBrowserTests(WarmTransferAppFixture fixture, BrowserFixture browser)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private Uri Portal => fixture.App.GetEndpoint("agentportal", "http");

    [Fact]
    public async Task Two_agents_warm_transfer_a_customer_in_their_browsers()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        var desks = await SideBySideAsync(OpenDeskAsync(nameof(Two_agents_warm_transfer_a_customer_in_their_browsers), "agent1", emulator),
            OpenDeskAsync(nameof(Two_agents_warm_transfer_a_customer_in_their_browsers), "agent2", emulator, width: 390));
        await using var alice = desks[0];
        await using var bob = desks[1];
        await alice.ChoosePresenceAsync("Available", "Available");
        await bob.ChoosePresenceAsync("Available", "Available");
        await alice.ScreenshotAsync("available");
        await bob.ScreenshotAsync("available");

        // A simulated customer calls from the emulator's developer page; Alice, idle longest, rings.
        await using var developer = await AgentPage.OpenAsync(browser.Browser, emulator.BaseAddress,
            nameof(Two_agents_warm_transfer_a_customer_in_their_browsers), "developer");
        var number = SystemState.NewNumber();
        await developer.Page.GetByLabel("From number (E.164)").FillAsync(number);
        await developer.Button("Call").ClickAsync();
        await Expect(developer.Page.Locator("#place-result")).ToContainTextAsync("placed");
        var customer = PlacedCallSid().Match(await developer.Page.Locator("#place-result").InnerTextAsync()).Groups[1].Value;

        await Expect(alice.Incoming).ToContainTextAsync($"Customer {number} is calling.");
        await Expect(bob.Incoming).ToBeHiddenAsync();
        await Expect(alice.Page.Locator("#routing-status")).ToHaveTextAsync("Ringing");
        await alice.ScreenshotAsync("ringing");

        // 1. Alice accepts: she is with the customer.
        await alice.Button("Accept").ClickAsync();
        await Expect(alice.Call).ToBeVisibleAsync();
        await Expect(alice.Incoming).ToBeHiddenAsync();
        await Expect(alice.Page.Locator("#call-customer")).ToHaveTextAsync(number);
        await Expect(alice.AgentsInCall).ToHaveTextAsync("Alice Agent (you) — in the call");
        await Expect(alice.Page.Locator("#routing-status")).ToHaveTextAsync("On a call");
        await Expect(alice.Page.Locator("#call-timer")).Not.ToHaveTextAsync("0:00", new() { Timeout = 5_000 });
        await ConferenceIsAsync(emulator, customer, "customer", "agent1");
        await alice.ScreenshotAsync("in-call");

        // 2. She transfers to Bob, the one colleague available; Bob's page rings with who and which customer.
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToHaveTextAsync("Bob AgentNext free colleague");
        await alice.Page.GetByLabel("Transfer to…").SelectOptionAsync("agent2");
        await alice.Button("Transfer").ClickAsync();
        await Expect(alice.CallMessage).ToHaveTextAsync("Ringing Bob Agent…");
        await Expect(alice.Button("Cancel transfer")).ToBeVisibleAsync();
        await Expect(alice.AgentsInCall).ToContainTextAsync("Bob Agent — ringing");
        await Expect(bob.Incoming).ToContainTextAsync($"Alice Agent is transferring customer {number} to you.");
        await alice.ScreenshotAsync("transfer-ringing");
        await bob.ScreenshotAsync("transfer-ringing");

        // 3. Bob accepts: the three are in the conference.
        await bob.Button("Accept").ClickAsync();
        await Expect(alice.CallMessage).ToHaveTextAsync("Bob Agent is in the call. Leave the call to hand the customer over.");
        await Expect(alice.Button("Leave call")).ToBeVisibleAsync();
        await Expect(bob.Call).ToBeVisibleAsync();
        await Expect(bob.AgentsInCall).ToContainTextAsync("Alice Agent — in the call");
        await Expect(bob.AgentsInCall).ToContainTextAsync("Bob Agent (you) — in the call");
        await ConferenceIsAsync(emulator, customer, "customer", "agent1", "agent2");
        await alice.ScreenshotAsync("consulting");
        await bob.ScreenshotAsync("consulting");

        // 4. Alice puts the customer on hold while they talk, then resumes; both pages show it.
        await alice.Button("Hold customer").ClickAsync();
        await Expect(bob.Page.Locator("#call-hold")).ToHaveTextAsync("On hold (hears music)");
        await Expect(alice.Button("Resume customer")).ToHaveAttributeAsync("aria-pressed", "true");
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Any(p => p.StartsWith("customer:", StringComparison.Ordinal) && p.Contains("hold=True", StringComparison.Ordinal))
            ? null : "the customer is not on hold in the emulator", StepTimeout);
        await bob.ScreenshotAsync("customer-on-hold");
        await alice.Button("Resume customer").ClickAsync();
        await Expect(bob.Page.Locator("#call-hold")).ToHaveTextAsync("Connected");

        // 5. Alice leaves: Bob has the customer.
        await alice.Button("Leave call").ClickAsync();
        await Expect(alice.Call).ToBeHiddenAsync();
        await Expect(alice.Message).ToHaveTextAsync("You left the call; Bob Agent has the customer.");
        await Expect(alice.Page.Locator("#routing-status")).ToHaveTextAsync("Available");
        await Expect(bob.AgentsInCall).ToHaveTextAsync("Bob Agent (you) — in the call");
        await ConferenceIsAsync(emulator, customer, "customer", "agent2");
        await alice.ScreenshotAsync("left");
        await bob.ScreenshotAsync("has-customer");

        // 6. The customer hangs up on the developer page: the call is over for Bob too.
        await developer.Page.GetByRole(AriaRole.Button, new() { Name = $"Hang up {customer}" }).ClickAsync();
        await Expect(bob.Call).ToBeHiddenAsync();
        await Expect(bob.Message).ToHaveTextAsync("The call ended.");
        await Expect(bob.Page.Locator("#routing-status")).ToHaveTextAsync("Available");
        await Eventually.HoldsAsync(async () => (await emulator.ConferenceAsync(customer))?.Status == "completed"
            ? null : "the conference has not ended", StepTimeout);
        await bob.ScreenshotAsync("call-ended");

        await alice.ChoosePresenceAsync("Away", "Away");
        await bob.ChoosePresenceAsync("Away", "Away");

        // Signing out unregisters the softphone.
        await alice.Button("Sign out").ClickAsync();
        await Expect(alice.Page.GetByRole(AriaRole.Region, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(alice.Message).ToHaveTextAsync("You are signed out.");
        await Eventually.HoldsAsync(async () => await DeviceTokenExpiryAsync(emulator, "agent1") is null
            ? null : "agent1's softphone is still registered", StepTimeout);
        Assert.Empty(alice.ConsoleErrors);
        Assert.Empty(bob.ConsoleErrors);
        Assert.Empty(developer.ConsoleErrors);
    }

    [Fact]
    public async Task A_transfer_target_who_rejects_leaves_the_customer_with_the_first_agent()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        var desks = await SideBySideAsync(OpenDeskAsync(nameof(A_transfer_target_who_rejects_leaves_the_customer_with_the_first_agent), "agent1", emulator),
            OpenDeskAsync(nameof(A_transfer_target_who_rejects_leaves_the_customer_with_the_first_agent), "agent2", emulator), OpenDeskAsync(nameof(A_transfer_target_who_rejects_leaves_the_customer_with_the_first_agent), "agent3", emulator));
        await using var alice = desks[0];
        await using var bob = desks[1];
        await using var carol = desks[2];
        await alice.ChoosePresenceAsync("Available", "Available");
        await bob.ChoosePresenceAsync("Available", "Available");

        // Both answer from the keyboard: a ringing call takes the focus to Accept.
        var customer = await emulator.CallSupportLineAsync(SystemState.NewNumber());
        await Expect(alice.Button("Accept")).ToBeFocusedAsync();
        await alice.Page.Keyboard.PressAsync("Enter");
        await Expect(alice.Call).ToBeVisibleAsync();

        await alice.Page.GetByLabel("Transfer to…").SelectOptionAsync("agent2");
        await alice.Button("Transfer").ClickAsync();
        await Expect(bob.Incoming).ToBeVisibleAsync();
        await Expect(bob.Button("Accept")).ToBeFocusedAsync();
        await bob.Page.Keyboard.PressAsync("Tab");
        await Expect(bob.Button("Reject")).ToBeFocusedAsync();
        await bob.Page.Keyboard.PressAsync("Enter");

        await Expect(alice.CallMessage).ToHaveTextAsync("Bob Agent declined the call. You still have the customer.");
        await Expect(alice.AgentsInCall).ToHaveTextAsync("Alice Agent (you) — in the call");
        await Expect(bob.Incoming).ToBeHiddenAsync();
        await Expect(bob.Call).ToBeHiddenAsync();
        // Bob declined an offer: routing leaves him away until he comes back, so Alice cannot pick him again.
        await Expect(bob.Page.Locator("#routing-status")).ToHaveTextAsync("Away");
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToHaveTextAsync("Next free colleague (nobody is free now)");
        await ConferenceIsAsync(emulator, customer, "customer", "agent1");
        await alice.ScreenshotAsync("transfer-rejected");

        // Carol is signed in too: she sees nothing of Alice's call, and the API does not let her near it.
        await Expect(carol.Call).ToBeHiddenAsync();
        await Expect(carol.Incoming).ToBeHiddenAsync();
        Assert.Equal((int)HttpStatusCode.NoContent, (await carol.Page.APIRequest.GetAsync("/api/call")).Status);
        await carol.ScreenshotAsync("not-in-the-call");

        // Carol comes available: Alice can try her instead.
        await carol.ChoosePresenceAsync("Available", "Available");
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToHaveTextAsync("Carol AgentNext free colleague");
        await Expect(alice.Button("Transfer")).ToBeEnabledAsync();
        await carol.ChoosePresenceAsync("Away", "Away");

        await EndsTheCallAsync(alice, emulator, customer, alice, bob);
    }

    [Fact]
    public async Task A_colleague_who_leaves_hands_the_customer_back_and_the_first_agent_transfers_again()
    {
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var desks = await AliceHasACustomerAndBobIsAvailableAsync(nameof(A_colleague_who_leaves_hands_the_customer_back_and_the_first_agent_transfers_again), emulator);
        var (alice, bob, carol, customer) = desks;

        // Bob is brought in: his page offers to hand the customer back, and no End call.
        await alice.Page.GetByLabel("Transfer to…").SelectOptionAsync("agent2");
        await alice.Button("Transfer").ClickAsync();
        await bob.Button("Accept").ClickAsync();
        await Expect(alice.CallMessage).ToHaveTextAsync("Bob Agent is in the call. Leave the call to hand the customer over.");
        await Expect(bob.Button("Leave (hand the customer back)")).ToBeVisibleAsync();
        await Expect(bob.Button("End call")).ToBeHiddenAsync();
        await Expect(bob.Button("Hold customer")).ToBeHiddenAsync();
        await bob.ScreenshotAsync("consultant");

        // Bob leaves: Alice keeps the customer, and both pages say so.
        await bob.Button("Leave (hand the customer back)").ClickAsync();
        await Expect(bob.Call).ToBeHiddenAsync();
        await Expect(bob.Message).ToHaveTextAsync("You left the call and handed the customer back to Alice Agent.");
        await Expect(alice.CallMessage).ToHaveTextAsync("Bob Agent left the call and handed the customer back. You still have the customer.");
        await Expect(alice.AgentsInCall).ToHaveTextAsync("Alice Agent (you) — in the call");
        await ConferenceIsAsync(emulator, customer, "customer", "agent1");
        await alice.ScreenshotAsync("handed-back");

        // A second transfer, to Carol, goes through: Alice leaves and Carol has the customer.
        await carol.ChoosePresenceAsync("Available", "Available");
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToContainTextAsync("Carol Agent");
        await alice.Page.GetByLabel("Transfer to…").SelectOptionAsync("agent3");
        await alice.Button("Transfer").ClickAsync();
        await carol.Button("Accept").ClickAsync();
        await Expect(alice.Button("Leave call")).ToBeVisibleAsync();
        await alice.Button("Leave call").ClickAsync();
        await Expect(alice.Message).ToHaveTextAsync("You left the call; Carol Agent has the customer.");
        await Expect(carol.AgentsInCall).ToHaveTextAsync("Carol Agent (you) — in the call");
        await Expect(carol.Button("End call")).ToBeVisibleAsync();
        await ConferenceIsAsync(emulator, customer, "customer", "agent3");

        await EndsTheCallAsync(carol, emulator, customer, alice, bob, carol);
    }

    [Fact]
    public async Task A_cold_transfer_shows_its_note_on_the_colleagues_ringing_panel_and_return_to_queue_hands_the_customer_to_the_next_agent()
    {
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var desks = await AliceHasACustomerAndBobIsAvailableAsync(nameof(A_cold_transfer_shows_its_note_on_the_colleagues_ringing_panel_and_return_to_queue_hands_the_customer_to_the_next_agent), emulator);
        var (alice, bob, carol, customer) = desks;

        // Alice writes Bob a note and transfers cold: she is out at once, and Bob's ringing panel says who and why.
        await Expect(alice.Page.GetByLabel("Transfer to…")).ToContainTextAsync("Bob Agent");
        await alice.Page.GetByLabel("Transfer to…").SelectOptionAsync("agent2");
        await alice.Page.GetByLabel("Note for your colleague (optional)").FillAsync("Wants a refund for order 1234");
        await alice.ScreenshotAsync("transfer-with-note");
        await alice.Button("Transfer and leave").ClickAsync();
        await Expect(alice.Call).ToBeHiddenAsync();
        await Expect(alice.Message).ToHaveTextAsync("You left the call; Bob Agent takes the customer, who hears hold music until then.");
        await Expect(bob.Incoming).ToContainTextAsync("Alice Agent is transferring customer");
        await Expect(bob.Incoming).ToContainTextAsync("Note from your colleague: Wants a refund for order 1234");
        await bob.ScreenshotAsync("cold-transfer-ringing");
        await alice.ChoosePresenceAsync("Away", "Away");

        await bob.Button("Accept").ClickAsync();
        await Expect(bob.AgentsInCall).ToHaveTextAsync("Bob Agent (you) — in the call");
        await Expect(bob.Page.Locator("#call-note")).ToHaveTextAsync("Note from your colleague: Wants a refund for order 1234");
        await ConferenceIsAsync(emulator, customer, "customer", "agent2");

        // Bob hands the customer back to the queue; Carol, the next available agent, takes them.
        await carol.ChoosePresenceAsync("Available", "Available");
        await bob.Button("Return to queue").ClickAsync();
        await Expect(bob.Call).ToBeHiddenAsync();
        await Expect(bob.Message).ToHaveTextAsync("You returned the customer to the queue: the next available agent takes them.");
        await Expect(carol.Incoming).ToContainTextAsync("is calling.");
        await carol.Button("Accept").ClickAsync();
        await Expect(carol.AgentsInCall).ToHaveTextAsync("Carol Agent (you) — in the call");
        await ConferenceIsAsync(emulator, customer, "customer", "agent3");

        await EndsTheCallAsync(carol, emulator, customer, alice, bob, carol);
    }

    [Fact]
    public async Task Signing_out_in_another_tab_closes_the_desk_and_says_why()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var carol = await OpenDeskAsync(nameof(Signing_out_in_another_tab_closes_the_desk_and_says_why), "agent3", emulator);

        var otherTab = await carol.Page.Context.NewPageAsync();
        await otherTab.GotoAsync("/");
        await otherTab.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();

        await Expect(carol.Message).ToHaveTextAsync("Your sign-in has ended. Sign in again to take calls.");
        await Expect(carol.Page.GetByRole(AriaRole.Region, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(carol.Page.GetByRole(AriaRole.Region, new() { Name = "Your desk" })).ToBeHiddenAsync();
        await carol.ScreenshotAsync("session-ended");
        // The page's Content-Security-Policy refused nothing it needed (the heartbeat worker included).
        Assert.DoesNotContain(carol.ConsoleErrors, error => !error.Contains("401", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_sign_in_there_is_no_softphone_no_token_and_no_live_view()
    {
        await using var stranger = await AgentPage.OpenAsync(browser.Browser, Portal, nameof(Without_sign_in_there_is_no_softphone_no_token_and_no_live_view), "anonymous");

        await Expect(stranger.Page.GetByRole(AriaRole.Region, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(stranger.Page.GetByRole(AriaRole.Region, new() { Name = "Your desk" })).ToBeHiddenAsync();
        await Expect(stranger.Page.Locator("#softphone-state")).ToHaveTextAsync("offline");
        foreach (var path in new[] { "/api/token", "/api/softphone", "/api/call" })
        {
            Assert.Equal((int)HttpStatusCode.Unauthorized, (await stranger.Page.APIRequest.GetAsync(path)).Status);
        }

        // The hub refuses the WebSocket before any view is sent.
        var hub = await stranger.Page.EvaluateAsync<string>("""
            () => new Promise((resolve) => {
              const socket = new WebSocket(location.origin.replace('http', 'ws') + '/hubs/agent');
              socket.onopen = () => resolve('open');
              socket.onerror = () => resolve('refused');
            })
            """);
        Assert.Equal("refused", hub);
        await stranger.ScreenshotAsync("sign-in");

        await stranger.Page.GetByLabel("Agent id").FillAsync("agent3");
        await stranger.Page.GetByLabel("Password").FillAsync("not-the-password");
        await stranger.Button("Sign in").ClickAsync();
        await Expect(stranger.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Unknown agent or wrong password.");
        await Expect(stranger.Page.GetByRole(AriaRole.Region, new() { Name = "Your desk" })).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_softphone_renews_its_token_before_it_expires_and_stays_registered()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var carol = await OpenDeskAsync(nameof(The_softphone_renews_its_token_before_it_expires_and_stays_registered), "agent3", emulator);
        var first = await DeviceTokenExpiryAsync(emulator, "agent3");
        Assert.NotNull(first);

        // The page asks for a new token before the first one expires, and the emulator takes it.
        await Eventually.HoldsAsync(async () => await DeviceTokenExpiryAsync(emulator, "agent3") > first
            ? null : "the device still has its first token", WarmTransferAppFixture.TokenLifetime);
        // After the first token's expiry the softphone is still registered: the emulator unregisters devices whose token lapsed.
        await Eventually.HoldsAsync(() => DateTimeOffset.UtcNow > first.Value.AddSeconds(1) ? null : "the first token has not expired yet",
            WarmTransferAppFixture.TokenLifetime);
        Assert.NotNull(await DeviceTokenExpiryAsync(emulator, "agent3"));
        await Expect(carol.Page.Locator("#softphone-state")).ToHaveTextAsync("ready");
        Assert.Empty(carol.ConsoleErrors);
    }

    [Fact]
    public async Task The_voice_sdk_bundle_for_real_Twilio_is_served_by_the_portal()
    {
        await using var page = await AgentPage.OpenAsync(browser.Browser, Portal, nameof(The_voice_sdk_bundle_for_real_Twilio_is_served_by_the_portal), "anonymous");
        await page.Page.AddScriptTagAsync(new() { Url = "/lib/twilio.min.js" });
        Assert.Equal("function", await page.Page.EvaluateAsync<string>("() => typeof Twilio.Device"));
        Assert.Matches(@"^2\.", await page.Page.EvaluateAsync<string>("() => Twilio.Device.version"));
    }

    /// <summary>The agent ends the call from their page: the conference completes, and every desk goes away with no console error.</summary>
    private static async Task EndsTheCallAsync(AgentPage agent, EmulatorAdmin emulator, string customer, params AgentPage[] desks)
    {
        await agent.Button("End call").ClickAsync();
        await Expect(agent.Message).ToHaveTextAsync("The call ended.");
        await Eventually.HoldsAsync(async () => (await emulator.ConferenceAsync(customer))?.Status == "completed"
            ? null : "the conference has not ended", StepTimeout);
        foreach (var desk in desks)
        {
            await desk.ChoosePresenceAsync("Away", "Away");
            Assert.Empty(desk.ConsoleErrors);
        }
    }

    /// <summary>Alice, Bob and Carol at their desks; Alice has accepted a new customer and Bob is available.</summary>
    private async Task<Desks> AliceHasACustomerAndBobIsAvailableAsync(string test, EmulatorAdmin emulator)
    {
        await fixture.ResetAsync();
        var pages = await SideBySideAsync(OpenDeskAsync(test, "agent1", emulator), OpenDeskAsync(test, "agent2", emulator),
            OpenDeskAsync(test, "agent3", emulator));
        var desks = new Desks(pages[0], pages[1], pages[2], Customer: string.Empty);
        try
        {
            await desks.Alice.ChoosePresenceAsync("Available", "Available");
            var customer = await emulator.CallSupportLineAsync(SystemState.NewNumber());
            await desks.Alice.Button("Accept").ClickAsync();
            await Expect(desks.Alice.Call).ToBeVisibleAsync();
            await desks.Bob.ChoosePresenceAsync("Available", "Available");
            return desks with { Customer = customer };
        }
        catch
        {
            await desks.DisposeAsync();
            throw;
        }
    }

    private sealed record Desks(AgentPage Alice, AgentPage Bob, AgentPage Carol, string Customer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await Carol.DisposeAsync();
        }
    }

    private static async Task<DateTimeOffset?> DeviceTokenExpiryAsync(EmulatorAdmin emulator, string identity) =>
        (await emulator.DevicesAsync()).Where(d => d.Identity == identity).Select(d => d.TokenExpires).Max();

    /// <summary>The agent's page, signed in with the softphone ready; their calls ring this browser.</summary>
    private async Task<AgentPage> OpenDeskAsync(string test, string agentId, EmulatorAdmin emulator, int width = 1100, string? password = null)
    {
        await emulator.RingDevicesOfAsync(agentId);
        var page = await AgentPage.OpenAsync(browser.Browser, Portal, test, agentId, width);
        await page.SignInAsync(agentId, password ?? $"{agentId}-dev-password");
        await page.ChoosePresenceAsync("Away", "Away");
        return page;
    }

    /// <summary>Desks being opened at once, as agents sit down together; if one fails to open, the others are closed.</summary>
    private static async Task<AgentPage[]> SideBySideAsync(params Task<AgentPage>[] opening)
    {
        try
        {
            return await Task.WhenAll(opening);
        }
        catch
        {
            foreach (var opened in opening.Where(task => task.IsCompletedSuccessfully))
            {
                await opened.Result.DisposeAsync();
            }

            throw;
        }
    }

    private static async Task ConferenceIsAsync(EmulatorAdmin emulator, string conference, params string[] labels) =>
        await Eventually.HoldsAsync(async () =>
        {
            // Who is in it, not who joined first: the agent's leg may connect before the customer's TwiML has run.
            var connected = (await emulator.ParticipantsAsync(conference)).Select(p => p.Split(':')[0]).ToArray();
            return connected.Order(StringComparer.Ordinal).SequenceEqual(labels.Order(StringComparer.Ordinal)) ? null : $"the emulator's conference has [{string.Join(", ", connected)}]";
        }, StepTimeout);

    [GeneratedRegex("Call (CA[0-9a-f]{32}) ")]
    private static partial Regex PlacedCallSid();
}
