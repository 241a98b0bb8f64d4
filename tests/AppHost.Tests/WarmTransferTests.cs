using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>The tutorial's warm transfer, through WebhookApi, RabbitMQ, DialerWorker, Redis, AgentPortal and the emulator.</summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class WarmTransferTests(WarmTransferAppFixture fixture)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Customer_waits_first_agent_answers_brings_in_a_colleague_and_leaves_and_the_customer_is_never_cut_off()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        using var first = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        using var second = await PortalClient.SignInAsync(fixture.App, "agent2", "agent2-dev-password");
        await emulator.AnswerAsAsync("agent1");
        await emulator.AnswerAsAsync("agent2");

        // 1. Both agents go available; agent1 has been idle longest.
        await first.GoAvailableAsync();
        await second.GoAvailableAsync();
        Assert.Equal(["agent1", "agent2"], (await db.SortedSetRangeByRankAsync("wt:{line}:agents:available")).Select(v => v.ToString()).Where(a => a is "agent1" or "agent2"));

        // 2. A customer calls: they wait on hold in their own conference, and agent1 is dialed.
        var customer = await emulator.CallSupportLineAsync("+15557651000");
        await Eventually.HoldsAsync(async () => Expect(await emulator.ParticipantsAsync(customer),
            "customer:start=False,end=True,hold=False,audio=conference",
            "agent1:start=True,end=False,hold=False,audio=conference"), StepTimeout);
        var twiml = await TwimlAnswersAsync(emulator);
        Assert.Contains(twiml, t => t.Url.EndsWith("/voice/incoming") && t.Body.Contains($">{customer}</Conference>")
            && t.Body.Contains("startConferenceOnEnter=\"false\"") && t.Body.Contains("endConferenceOnExit=\"true\"")
            && t.Body.Contains("waitUrl=") && t.Body.Contains("participantLabel=\"customer\""));
        Assert.Contains(twiml, t => t.Url.Contains("/voice/agent-join") && t.Url.Contains($"session={customer}") && t.Body.Contains("participantLabel=\"agent1\"")
            && t.Body.Contains("startConferenceOnEnter=\"true\"") && t.Body.Contains("endConferenceOnExit=\"false\"") && t.Body.Contains("statusCallback="));
        Assert.Contains(twiml, t => t.Url.EndsWith("/voice/wait") && t.Body.Contains("<Say>Thank you for calling.") && t.Body.Contains("<Play")
            && t.Body.Contains("/voice/wait</Redirect>"));
        await Eventually.HoldsAsync(async () => (await first.MeAsync()).Status == "in-call" ? null : "agent1 is not in call", StepTimeout);
        var call = (await first.CallAsync())!;
        Assert.Equal((customer, "owner", "+15557651000"), (call.Conference, call.Role, call.CustomerNumber));
        Assert.NotNull(call.ConnectedAt);

        // 3. agent1 brings agent2 in; no agent's leg ends the conference when it leaves.
        using var unavailable = await first.PostAsync("/api/transfer", new { colleague = "agent3" });
        Assert.Equal(HttpStatusCode.Conflict, unavailable.StatusCode);
        using var transfer = await first.PostAsync("/api/transfer", new { colleague = "agent2" });
        Assert.Equal(HttpStatusCode.Accepted, transfer.StatusCode);
        await Eventually.HoldsAsync(async () => Expect(await emulator.ParticipantsAsync(customer),
            "customer:start=False,end=True,hold=False,audio=conference",
            "agent1:start=True,end=False,hold=False,audio=conference",
            "agent2:start=True,end=False,hold=False,audio=conference"), StepTimeout);
        await Eventually.HoldsAsync(async () => (await first.CallAsync())?.Transfer?.State == "consulting" ? null : "transfer not consulting", StepTimeout);
        Assert.Contains(await TwimlAnswersAsync(emulator), t => t.Url.Contains("/voice/agent-join") && t.Body.Contains("participantLabel=\"agent2\"")
            && t.Body.Contains("startConferenceOnEnter=\"true\"") && t.Body.Contains("endConferenceOnExit=\"false\""));
        Assert.Equal(("consultant", "in-call"), ((await second.CallAsync())!.Role, (await second.MeAsync()).Status));

        // 4. While they consult, the customer is on hold with music, then back.
        await first.PostOkAsync("/api/hold", new { hold = true });
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer))[0] == "customer:start=False,end=True,hold=True,audio=hold-music"
            ? null : string.Join(" | ", await emulator.ParticipantsAsync(customer)), StepTimeout);
        await first.PostOkAsync("/api/hold", new { hold = false });

        // 5. agent1 leaves; the customer and agent2 stay, and agent1 is available again.
        await first.PostOkAsync("/api/leave", new { });
        await Eventually.HoldsAsync(async () => Expect(await emulator.ParticipantsAsync(customer),
            "customer:start=False,end=True,hold=False,audio=conference",
            "agent2:start=True,end=False,hold=False,audio=conference"), StepTimeout);
        await Eventually.HoldsAsync(async () => (await first.MeAsync()).Status == "available" ? null : "agent1 is not available", StepTimeout);
        Assert.Equal("owner", (await second.CallAsync())!.Role);
        Assert.Equal("in-progress", (await emulator.ConferenceAsync(customer))!.Status);

        // 6. The customer hangs up: the conference ends, its state goes, both agents are available.
        await emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await emulator.ConferenceAsync(customer))!.Status == "completed"
            ? null : "conference not completed", StepTimeout);
        Assert.Equal("participant-with-end-conference-on-exit-left",
            (await emulator.ConferenceAsync(customer))!.ReasonConferenceEnded);
        await Eventually.HoldsAsync(async () => (await second.MeAsync()).Status == "available" && await second.CallAsync() is null
            ? null : "agent2 not available", StepTimeout);
        await Eventually.HoldsAsync(async () => (await db.SortedSetRangeByRankAsync("wt:{line}:agents:available")).Count(a => a == "agent1" || a == "agent2") == 2
            ? null : "agent1 and agent2 are not both available", StepTimeout);

        await first.PostOkAsync("/api/presence", new { status = "away" });
        await second.PostOkAsync("/api/presence", new { status = "away" });
    }

    [Fact]
    public async Task A_caller_who_finds_no_agent_waits_in_line_and_goes_to_the_first_agent_who_becomes_available()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent2", "agent2-dev-password");
        await emulator.AnswerAsAsync("agent2");
        await agent.PostOkAsync("/api/presence", new { status = "away" });
        Assert.Empty(await db.SortedSetRangeByRankAsync("wt:{line}:agents:available"));

        var customer = await emulator.CallSupportLineAsync("+15557651100");
        await Eventually.HoldsAsync(async () => (await db.ListRangeAsync(SystemState.WaitingLine)).Any(v => v == customer)
            && (await emulator.ParticipantsAsync(customer)) is ["customer:start=False,end=True,hold=False,audio=wait-music"]
            ? null : $"caller not waiting on hold: [{string.Join(" | ", await emulator.ParticipantsAsync(customer))}]", StepTimeout);

        await agent.GoAvailableAsync();

        await Eventually.HoldsAsync(async () => Expect(await emulator.ParticipantsAsync(customer),
            "customer:start=False,end=True,hold=False,audio=conference",
            "agent2:start=True,end=False,hold=False,audio=conference"), StepTimeout);
        Assert.DoesNotContain(customer, (await db.ListRangeAsync(SystemState.WaitingLine)).Select(v => v.ToString()));

        await emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" ? null : "agent2 not available again", StepTimeout);
        await agent.PostOkAsync("/api/presence", new { status = "away" });
    }

    [Fact]
    public async Task A_transfer_still_ringing_is_cancelled_and_the_colleague_is_available_again()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        using var first = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        using var colleague = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await emulator.AnswerAsAsync("agent1");
        await emulator.NeverAnswerAsAsync("agent3");
        await first.GoAvailableAsync();
        var customer = await emulator.CallSupportLineAsync("+15557651200");
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent1 not in", StepTimeout);
        await colleague.GoAvailableAsync();

        using var transfer = await first.PostAsync("/api/transfer", new { colleague = "agent3" });
        Assert.Equal(HttpStatusCode.Accepted, transfer.StatusCode);
        await Eventually.HoldsAsync(async () => (await emulator.CallsAsync()).Any(c => c.ClientIdentity == "agent3" && c.Status == "ringing")
            ? null : "agent3 is not ringing", StepTimeout);
        var ringing = (await emulator.CallsAsync()).Single(c => c.ClientIdentity == "agent3" && c.Status == "ringing").Sid;

        await first.PostOkAsync("/api/transfer/cancel", new { });

        await Eventually.HoldsAsync(async () => (await emulator.CallAsync(ringing))?.Status == "canceled"
            && (await colleague.MeAsync()).Status == "available"
            ? null : "agent3's call not canceled or agent3 not available", StepTimeout);
        Assert.Equal("cancelled", (await first.CallAsync())!.Transfer!.State);
        Assert.Equal(2, (await emulator.ParticipantsAsync(customer)).Length);

        await emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await first.MeAsync()).Status == "available" ? null : "agent1 not available again", StepTimeout);
        await first.PostOkAsync("/api/presence", new { status = "away" });
        await colleague.PostOkAsync("/api/presence", new { status = "away" });
    }

    [Fact]
    public async Task Away_chosen_during_a_call_takes_effect_when_the_call_ends()
    {
        await fixture.ResetAsync();
        using var emulator = EmulatorAdmin.For(fixture.App);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        await emulator.AnswerAsAsync("agent1");
        await agent.GoAvailableAsync();
        var customer = await emulator.CallSupportLineAsync("+15557651300");
        await Eventually.HoldsAsync(async () => (await emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent1 not in", StepTimeout);

        await agent.PostOkAsync("/api/presence", new { status = "away" });
        Assert.Equal("in-call", (await agent.MeAsync()).Status);
        await emulator.HangUpAsync(customer);

        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "away" && await agent.CallAsync() is null
            ? null : "agent1 is not away", StepTimeout);
        Assert.Null(await db.SortedSetRankAsync("wt:{line}:agents:available", "agent1"));
    }

    /// <summary>Exactly these participants, in whatever order they joined: an agent may connect before the customer's TwiML has run.</summary>
    private static string? Expect(string[] actual, params string[] expected) =>
        actual.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)) ? null : $"participants are [{string.Join(" | ", actual)}]";

    private static async Task<List<(string Url, string Body)>> TwimlAnswersAsync(EmulatorAdmin emulator) =>
        [.. (await emulator.EventsAsync())
            .Where(e => e.Kind is "voice-webhook" or "wait-url" or "hold-url" && e.StatusCode == 200)
            .Select(e => (e.Url!, e.Response!))];
}
