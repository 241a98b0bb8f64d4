using StackExchange.Redis;
using static WarmTransfer.AppHost.Tests.SystemState;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Twilio as it really delivers: callbacks lost for good, call creations that fail after Twilio made the call. The sessions
/// find the truth and nobody is rung twice or left busy.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class SessionRecoveryTests(WarmTransferAppFixture fixture) : IAsyncLifetime
{
    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        await fixture.ResetAsync();
        _redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
    }

    public async Task DisposeAsync()
    {
        await _emulator.ResetDeliveryAsync();
        await _emulator.ClearFaultsAsync();
        _emulator.Dispose();
        await _redis.DisposeAsync();
    }

    private Task<bool> InLineAsync(string caller) => SystemState.InLineAsync(_redis, caller);

    [Fact]
    public async Task When_every_callback_is_lost_reconciliation_frees_the_agent_and_removes_the_dead_caller_from_the_line_within_30_seconds()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        await _emulator.AnswerAsAsync("agent1");
        await agent.GoAvailableAsync();
        var customer = await _emulator.CallSupportLineAsync("+15557654000");
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "in-call" ? null : "agent1 is not in the call", StepTimeout);
        var waiting = await _emulator.CallSupportLineAsync("+15557654001");
        await Eventually.HoldsAsync(async () => await InLineAsync(waiting) ? null : "the second caller is not waiting in line", StepTimeout);

        // From now on Twilio's callbacks are lost: nothing tells the system either customer hung up.
        Assert.True(await _emulator.SetDeliveryAsync(new DeliverySettings(Concurrent: false, Lossy: true, Duplicate: false, Seed: 7, DropRate: 1.0)));
        await _emulator.HangUpAsync(waiting);
        await _emulator.HangUpAsync(customer);
        var hungUp = DateTimeOffset.UtcNow;

        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" && await agent.CallAsync() is null && !await InLineAsync(waiting)
            ? null : $"agent1 is still {(await agent.MeAsync()).Status}, or the caller who hung up is still in line", StepTimeout + TimeSpan.FromSeconds(5));
        Assert.True(DateTimeOffset.UtcNow - hungUp < TimeSpan.FromSeconds(35), "cleaned up more than 30 s after the hang-ups");
    }

    [Fact]
    public async Task An_agent_whose_callbacks_are_all_lost_is_in_the_call_on_their_page_as_soon_as_they_answer()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent3", "agent3-dev-password");
        await _emulator.AnswerAsAsync("agent3");
        await agent.GoAvailableAsync();
        Assert.True(await _emulator.SetDeliveryAsync(new DeliverySettings(Concurrent: false, Lossy: true, Duplicate: false, Seed: 11, DropRate: 1.0)));

        var customer = await _emulator.CallSupportLineAsync("+15557654300");
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent3 has not joined the customer", StepTimeout);

        // No status callback and no conference event arrives, and reconciliation waits for 10 quiet seconds: the agent-join
        // request alone tells the session that agent3 answered.
        await Eventually.HoldsAsync(async () => (await agent.CallAsync()) is { Role: "owner", MyStatus: "in-call" } ? null : "agent3's page does not show the call",
            TimeSpan.FromSeconds(5));

        await _emulator.ResetDeliveryAsync();
        await _emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" ? null : "agent3 not available again", StepTimeout);
    }

    [Fact]
    public async Task A_call_creation_that_fails_after_Twilio_made_the_call_rings_the_agent_once()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent2", "agent2-dev-password");
        await _emulator.AnswerAsAsync("agent2", afterMilliseconds: 1500);
        await agent.GoAvailableAsync();
        Assert.True(await _emulator.SetFaultAsync(new FaultRule(FaultRule.CreateCall, ActedThenErrorRate: 1.0)));

        var customer = await _emulator.CallSupportLineAsync("+15557654100");

        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Select(p => p.Split(':')[0]).Order().SequenceEqual(["agent2", "customer"])
            ? null : "agent2 has not joined the customer", StepTimeout);
        var rings = (await _emulator.CallsAsync()).Count(c => c.ClientIdentity == "agent2" && c.CallbackParameter("session") == customer);
        Assert.Equal(1, rings);

        await _emulator.ClearFaultsAsync();
        await _emulator.HangUpAsync(customer);
        await Eventually.HoldsAsync(async () => (await agent.MeAsync()).Status == "available" ? null : "agent2 not available again", StepTimeout);
    }

    [Fact]
    public async Task Hold_is_carried_out_within_a_second_while_50_dials_wait_for_the_calls_per_second_budget()
    {
        using var agent = await PortalClient.SignInAsync(fixture.App, "agent1", "agent1-dev-password");
        await _emulator.AnswerAsAsync("agent1");
        await agent.GoAvailableAsync();
        var customer = await _emulator.CallSupportLineAsync("+15557654200");
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent1 is not with the customer", StepTimeout);

        await using var loadAgents = await fixture.AvailableLoadAgentsAsync(loadAgent => _emulator.NeverAnswerAsAsync(loadAgent));
        try
        {
            // 50 callers at once. Once the support line has answered them all and the first agents are rung, their dials wait for
            // the calls-per-second budget (5 a second: 10 s for 50).
            var callers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => _emulator.CallSupportLineAsync($"+1555765{5000 + i}")));
            async Task<int> AgentsRungForCallersAsync() => (await _emulator.AgentCallsAsync()).Count(c => callers.Contains(c.Conference));
            await Eventually.HoldsAsync(async () =>
            {
                var waiting = (await _emulator.CallsAsync()).Count(c => callers.Contains(c.Sid) && c.ConferenceSid is not null);
                var rung = await AgentsRungForCallersAsync();
                return waiting == callers.Length && rung >= 3 ? null : $"{waiting} of {callers.Length} callers are in their conference, {rung} load agents rung";
            }, StepTimeout);

            var started = DateTimeOffset.UtcNow;
            await agent.PostOkAsync("/api/hold", new { hold = true });
            await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Any(p => p.StartsWith("customer:", StringComparison.Ordinal) && p.Contains("hold=True", StringComparison.Ordinal))
                ? null : "the customer is not on hold", TimeSpan.FromSeconds(5));

            // Twilio carries the hold out when its request arrives: the emulator's log says when that was.
            var holdAsked = (await _emulator.EventsAsync()).First(e => e.Kind == "rest" && e.Method == "POST" && e.Timestamp >= started
                && e.Url?.Contains("/Participants/", StringComparison.Ordinal) == true && e.Parameters?.GetValueOrDefault("Hold") == "true").Timestamp;
            var took = holdAsked - started;
            var dialsLeft = callers.Length - await AgentsRungForCallersAsync();
            Assert.True(took < TimeSpan.FromSeconds(1), $"the hold reached Twilio {took.TotalMilliseconds:F0} ms after the agent asked");
            Assert.True(dialsLeft > 10, $"only {dialsLeft} dials were still waiting: the hold did not have to pass them");
        }
        finally
        {
            await _emulator.HangUpEveryCallAsync();
        }
    }
}
