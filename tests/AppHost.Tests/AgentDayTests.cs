using System.Diagnostics;
using System.Net;
using StackExchange.Redis;
using static WarmTransfer.AppHost.Tests.SystemState;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// The agent's day through the real system: presence that is proved by a live page and softphone, wrap-up after a call, and a
/// transfer that waits for the next free colleague ahead of every caller.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class AgentDayTests(WarmTransferAppFixture fixture) : IAsyncLifetime
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
        await _redis.DisposeAsync();
        _emulator.Dispose();
    }

    [Fact]
    public async Task An_agent_whose_page_closes_is_offline_at_once_and_the_next_caller_is_answered_by_a_live_agent_within_2_s()
    {
        await using var gone = await AvailableAsync("agent1");
        await using var live = await AvailableAsync("agent2");

        // agent1 has been idle longest, but closes their page.
        await gone.CloseDeskAsync();
        await StatusIsAsync(gone, "offline");
        Assert.Equal("available", (await gone.MeAsync()).Presence);

        var called = Stopwatch.StartNew();
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Length == 2 ? null : "no agent joined the caller",
            TimeSpan.FromSeconds(2));

        Assert.True(called.Elapsed < TimeSpan.FromSeconds(2), $"answered after {called.Elapsed.TotalSeconds:F1} s");
        Assert.Contains(await _emulator.ParticipantsAsync(customer), p => p.StartsWith("agent2:", StringComparison.Ordinal));
        Assert.DoesNotContain(await _emulator.AgentCallsAsync(), c => c.AgentId == "agent1" && c.Conference == customer);

        // The page comes back: agent1 is available again by themselves, with the presence they chose.
        await gone.OpenDeskAsync();
        await StatusIsAsync(gone, "available");
        await EndAsync(customer, live);
    }

    [Fact]
    public async Task An_agent_whose_page_closes_while_rung_is_withdrawn_and_the_caller_reaches_a_live_agent_without_waiting_out_the_ring()
    {
        await using var gone = await AvailableAsync("agent1");
        await _emulator.NeverAnswerAsAsync("agent1");
        await using var live = await AvailableAsync("agent2");
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(gone, "ringing");

        var closed = Stopwatch.StartNew();
        await gone.CloseDeskAsync();

        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Any(p => p.StartsWith("agent2:", StringComparison.Ordinal))
            ? null : "agent2 did not take the caller", StepTimeout);
        Assert.True(closed.Elapsed < TimeSpan.FromSeconds(WarmTransferAppFixture.RingTimeoutSeconds),
            $"the caller reached agent2 {closed.Elapsed.TotalSeconds:F1} s after agent1's page closed");
        // Its ring is withdrawn: a call already placed ends unanswered (cancelled, or by its ring timeout if that came first on a
        // loaded machine); one still waiting for its turn to be dialed is never placed.
        await Eventually.HoldsAsync(async () => (await _emulator.AgentCallsAsync())
            .Where(c => c.AgentId == "agent1" && c.Conference == customer).All(c => c.Status is "canceled" or "no-answer")
            ? null : "agent1's call did not end unanswered", StepTimeout);
        await StatusIsAsync(gone, "offline");
        await EndAsync(customer, live);
    }

    [Fact]
    public async Task A_softphone_that_drops_and_registers_again_keeps_the_agent_available_and_a_caller_waits_for_it_rather_than_ring_it()
    {
        await using var agent = await AvailableAsync("agent3");
        var desk = agent.Desk!;

        await desk.SoftphoneDroppedAsync();
        Assert.True(await _emulator.DropDeviceAsync(desk.Device.DeviceId, reconnect: false));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(customer) ? null : "the caller is not in line", StepTimeout);
        Assert.Equal(("available", "available"), ((await agent.MeAsync()).Status, (await agent.MeAsync()).Presence));
        Assert.DoesNotContain(await _emulator.AgentCallsAsync(), c => c.AgentId == "agent3" && c.Conference == customer);

        await desk.ReregisterAsync();

        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Length == 2 ? null : "agent3 did not take the caller",
            StepTimeout);
        await EndAsync(customer, agent);
    }

    [Fact]
    public async Task Wrap_up_holds_routing_for_its_time_and_Ready_ends_it_at_once()
    {
        await using var wendy = await AvailableAsync(WarmTransferAppFixture.ShortWrapUpAgent, WarmTransferAppFixture.LoadAgentPassword);
        var first = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(wendy, "in-call");

        await _emulator.HangUpAsync(first);
        await StatusIsAsync(wendy, "wrap-up");
        var wrapping = Stopwatch.StartNew();
        var waiting = await _emulator.CallSupportLineAsync(NewNumber());

        // The caller waits in line while Wendy wraps up, and is hers once the timer ends.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(waiting)).Length == 2 ? null : "Wendy did not take the caller", StepTimeout);
        Assert.True(wrapping.Elapsed >= TimeSpan.FromSeconds(WarmTransferAppFixture.ShortWrapUpSeconds - 1),
            $"the caller reached Wendy {wrapping.Elapsed.TotalSeconds:F1} s into her {WarmTransferAppFixture.ShortWrapUpSeconds} s wrap-up");
        await _emulator.HangUpAsync(waiting);
        await StatusIsAsync(wendy, "wrap-up");
        await wendy.PostOkAsync("/api/wrap-up/ready", new { });
        await StatusIsAsync(wendy, "available");

        await using var walter = await AvailableAsync(WarmTransferAppFixture.LongWrapUpAgent, WarmTransferAppFixture.LoadAgentPassword);
        await wendy.PostOkAsync("/api/presence", new { status = "away", reason = "Break" });
        Assert.Equal(("away", "Break"), ((await wendy.MeAsync()).Status, (await wendy.MeAsync()).Reason));
        var third = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(walter, "in-call");
        await _emulator.HangUpAsync(third);
        await StatusIsAsync(walter, "wrap-up");

        var before = (await walter.MeAsync()).WrapUpEndsAt!.Value;
        await walter.PostOkAsync("/api/wrap-up/more-time", new { });
        Assert.Equal(before.AddSeconds(WarmTransferAppFixture.LongWrapUpSeconds), (await walter.MeAsync()).WrapUpEndsAt);
        using var again = await walter.PostAsync("/api/wrap-up/more-time", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var fourth = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(fourth) ? null : "the caller is not in line", StepTimeout);
        await walter.PostOkAsync("/api/wrap-up/ready", new { });
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(fourth)).Length == 2 ? null : "Walter did not take the caller", StepTimeout);

        await _emulator.HangUpAsync(fourth);
        await StatusIsAsync(walter, "wrap-up");
        await walter.PostOkAsync("/api/wrap-up/ready", new { });
        using var notWrapping = await walter.PostAsync("/api/wrap-up/ready", new { });
        Assert.Equal(HttpStatusCode.Conflict, notWrapping.StatusCode);
        await walter.PostOkAsync("/api/presence", new { status = "away" });
    }

    [Fact]
    public async Task With_every_agent_busy_a_transfer_to_the_next_free_colleague_goes_to_the_first_colleague_freed_before_any_waiting_caller()
    {
        await using var first = await AvailableAsync("agent1");
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(first, "in-call");

        // Nobody is free: the transfer waits, and the owner can cancel it.
        await first.PostOkAsync("/api/transfer", new { colleague = "", note = "Second-line question" });
        await TransferIsAsync(first, "waiting");
        Assert.Equal([customer], await WaitingTransfersAsync());
        await first.PostOkAsync("/api/transfer/cancel", new { });
        await TransferIsAsync(first, "cancelled");
        Assert.Empty(await WaitingTransfersAsync());

        await using var second = await AvailableAsync("agent2");
        var other = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(second, "in-call");
        var waiting = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(waiting) ? null : "the third caller is not in line", StepTimeout);

        await first.PostOkAsync("/api/transfer", new { note = "Second-line question" });
        await TransferIsAsync(first, "waiting");
        await _emulator.HangUpAsync(other);

        // agent2, freed, is rung for the transfer, not for the caller who has waited in line.
        await Eventually.HoldsAsync(async () => (await second.CallAsync()) is { Role: "consultant", TransferNote: "Second-line question" } call && call.Conference == customer
            ? null : "agent2 is not brought in to the transfer", StepTimeout);
        Assert.True(await InLineAsync(waiting), "the waiting caller was served before the transfer");
        await TransferIsAsync(first, "consulting");
        await first.PostOkAsync("/api/leave", new { });
        await Eventually.HoldsAsync(async () => (await second.CallAsync()) is { Role: "owner", Conference: var conference } && conference == customer
            ? null : "agent2 does not have the customer", StepTimeout);

        // agent1 is free and takes the caller who waited.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(waiting)).Length == 2 ? null : "nobody took the waiting caller", StepTimeout);
        await _emulator.HangUpAsync(waiting);
        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task Only_a_page_that_shows_a_call_is_sent_the_free_colleagues()
    {
        await using var busy = await AvailableAsync("agent1");
        await using var idle = await AvailableAsync("agent2");
        await using var free = await AvailableAsync("agent3");
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await StatusIsAsync(busy, "in-call");

        // agent1 (idle longest) has the call: their page is told who is free for a transfer.
        await Eventually.HoldsAsync(() => busy.Desk!.Hub.Available.Select(c => c.Id).Order().SequenceEqual(["agent2", "agent3"])
            ? null : $"agent1's page has [{string.Join(", ", busy.Desk.Hub.Available.Select(c => c.Id))}]", StepTimeout);
        // The pages with no call were sent nothing, though the list changed while they were open.
        Assert.Empty(idle.Desk!.Hub.Available);
        Assert.Empty(free.Desk!.Hub.Available);
        await EndAsync(customer, busy);
    }

    /// <summary>The agent's page open with a registered softphone that answers at once, and Available chosen.</summary>
    private async Task<PortalClient> AvailableAsync(string agentId, string? password = null)
    {
        await _emulator.AnswerAsAsync(agentId);
        var agent = await PortalClient.SignInAsync(fixture.App, agentId, password ?? $"{agentId}-dev-password");
        await agent.GoAvailableAsync();
        await StatusIsAsync(agent, "available");
        return agent;
    }

    private async Task EndAsync(string customer, params PortalClient[] agents)
    {
        await _emulator.HangUpAsync(customer);
        foreach (var agent in agents)
        {
            await StatusIsAsync(agent, "available");
        }
    }

    private Task<bool> InLineAsync(string customer) => SystemState.InLineAsync(_redis, customer);

    private async Task<string[]> WaitingTransfersAsync() =>
        [.. (await _redis.GetDatabase().ListRangeAsync("wt:{line}:transfers:waiting")).Select(v => v.ToString())];
}
