using Microsoft.Playwright;
using StackExchange.Redis;
using static Microsoft.Playwright.Assertions;

namespace WarmTransfer.AppHost.Tests.Browser;

/// <summary>A callback on the agent's page: the ringing panel says who is called back and how long they waited.</summary>
public sealed partial class PortalBrowserTests
{
    [Fact]
    public async Task A_callback_rings_the_agent_with_the_number_and_the_wait_and_calls_the_customer_once_accepted()
    {
        const string test = nameof(A_callback_rings_the_agent_with_the_number_and_the_wait_and_calls_the_customer_once_accepted);
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        await SystemState.ExpectLongWaitsAsync(redis);
        try
        {
            // Nobody is available: a caller placed from the emulator's page hears the offer, presses 1 there and is told goodbye.
            await using var developer = await AgentPage.OpenAsync(browser.Browser, emulator.BaseAddress, test, "developer");
            var number = SystemState.NewNumber();
            await developer.Page.GetByLabel("From number (E.164)").FillAsync(number);
            await developer.Button("Call").ClickAsync();
            await Expect(developer.Page.Locator("#place-result")).ToContainTextAsync("placed");
            var customer = PlacedCallSid().Match(await developer.Page.Locator("#place-result").InnerTextAsync()).Groups[1].Value;
            await Eventually.HoldsAsync(async () =>
            {
                // The page answers once the key has reached the emulator: read that answer, not the text from before the click.
                await developer.Page.Locator("#place-result").EvaluateAsync("element => element.textContent = ''");
                await developer.Page.GetByRole(AriaRole.Button, new() { Name = $"Press 1 on {customer}" }).ClickAsync();
                await Expect(developer.Page.Locator("#place-result")).ToContainTextAsync(customer);
                return (await developer.Page.Locator("#place-result").InnerTextAsync()).StartsWith("Pressed 1", StringComparison.Ordinal)
                    ? null : "the caller was not offered a callback";
            }, StepTimeout);
            await Eventually.HoldsAsync(async () => (await emulator.CallAsync(customer))?.IsLive == false ? null : "the caller's call did not end", StepTimeout);

            // Alice comes: she is rung for the callback first, and told whom and how long they have waited.
            await using var alice = await OpenDeskAsync(test, "agent1", emulator);
            await alice.ChoosePresenceAsync("Available", "Ringing");
            await Expect(alice.Page.Locator("#incoming-heading")).ToHaveTextAsync("Incoming callback");
            await Expect(alice.Incoming).ToContainTextAsync(new System.Text.RegularExpressions.Regex(
                $@"Callback to {System.Text.RegularExpressions.Regex.Escape(number)}, waited \d+:\d\d\. Accept to call them now\."));
            await alice.ScreenshotAsync("callback-ringing");
            Assert.Empty(await alice.AccessibilityViolationsAsync());

            // She accepts: the customer is called from the support number, answers, and is with her.
            await alice.Button("Accept").ClickAsync();
            await ConferenceIsAsync(emulator, customer, "agent1", "customer");
            await Expect(alice.Page.Locator("#call-hold")).ToHaveTextAsync("Connected");
            await Expect(alice.Page.Locator("#call-customer")).ToHaveTextAsync(number);
            Assert.Contains(await emulator.CallsAsync(), c => c.To == number && c.Direction == "outbound-api" && c.Status == "in-progress");

            await EndsTheCallAsync(alice, emulator, customer, alice);
        }
        finally
        {
            await SystemState.ForgetWaitsAsync(redis);
        }
    }
}
