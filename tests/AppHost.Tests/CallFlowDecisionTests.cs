using StackExchange.Redis;
using static WarmTransfer.AppHost.Tests.SystemState;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// The call session's decisions through the real system: each bad moment ends in the state the emulator's conference and the
/// agents' pages show, with no customer cut off and no agent left busy. Callbacks arrive as Twilio sends them: concurrently,
/// out of order, some twice and some never.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class CallFlowDecisionTests(WarmTransferAppFixture fixture) : IAsyncLifetime
{
    /// <summary>
    /// Twilio's real delivery. The seed fixes the share of drops and duplicates, not which callbacks they hit: concurrent
    /// delivery raises them in a different order from run to run.
    /// </summary>
    private static readonly DeliverySettings TwilioDelivery = new(Concurrent: true, Lossy: true, Duplicate: true, Seed: 1313,
        MaxJitterMs: 300, DropRate: 0.05, DuplicateRate: 0.2);

    private const string Customer = "customer:start=False,end=True";

    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    // Every agent page a test opens, closed when it ends however it ends: a page left open would keep its agent routable.
    private readonly List<PortalClient> _agents = [];
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        await fixture.ResetAsync();
        _redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis"))!);
        Assert.True(await _emulator.SetDeliveryAsync(TwilioDelivery), "the emulator refused Twilio's delivery");
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _emulator.ResetDeliveryAsync();
        await _redis.DisposeAsync();
        _emulator.Dispose();
    }

    [Theory]
    [InlineData("reject", "busy")]
    [InlineData("never", "no-answer")]
    public async Task An_agent_who_misses_the_call_goes_away_and_the_caller_goes_to_the_next_available_agent(string agentOneDoes, string callStatus)
    {
        var first = await AvailableAsync("agent1", () => agentOneDoes == "reject" ? _emulator.RejectAsAsync("agent1") : _emulator.NeverAnswerAsAsync("agent1"));
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2"));

        var customer = await _emulator.CallSupportLineAsync(NewNumber());

        await ParticipantsAreAsync(customer, "customer", "agent2");
        Assert.Equal(callStatus, (await AgentCallsAsync("agent1")).Single(c => c.Conference == customer).Status);
        await StatusIsAsync(first, "away");
        Assert.Equal("away", (await first.MeAsync()).Presence);
        Assert.False(await InLineAsync(customer));
        Assert.Equal("owner", (await second.CallAsync())!.Role);

        await _emulator.HangUpAsync(customer);
        await StatusIsAsync(second, "available");
        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_customer_who_hangs_up_while_the_agent_rings_has_the_agents_call_cancelled_and_frees_the_agent()
    {
        var agent = await AvailableAsync("agent1", () => _emulator.NeverAnswerAsAsync("agent1"));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent1")).Any(c => c.Conference == customer && c.Status == "ringing")
            ? null : "agent1 is not ringing", StepTimeout);
        // The customer waits in their conference (a caller who hangs up before getting there is another case).
        await ParticipantsAreAsync(customer, "customer");

        await _emulator.HangUpAsync(customer);

        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent1")).Single(c => c.Conference == customer).Status == "canceled"
            ? null : "agent1's call was not cancelled", StepTimeout);
        // Not the agent's fault: they are available again, not away.
        await StatusIsAsync(agent, "available");
        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_customer_who_hangs_up_while_waiting_in_line_leaves_the_line()
    {
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => await InLineAsync(customer) ? null : "the caller is not waiting in line", StepTimeout);
        // Waiting means hearing the wait music in the conference; hanging up before getting there is another case.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)) is [var only] && only.StartsWith("customer:", StringComparison.Ordinal)
            && only.EndsWith("audio=wait-music", StringComparison.Ordinal) ? null : "the caller is not hearing the wait music", StepTimeout);

        await _emulator.HangUpAsync(customer);

        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_transfer_target_who_declines_leaves_the_first_agent_with_the_customer_off_hold_and_free_to_try_another_colleague()
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.RejectAsAsync("agent2", afterMilliseconds: 500));

        await first.PostOkAsync("/api/hold", new { hold = true });
        await CustomerHoldIsAsync(customer, true);
        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });

        await TransferIsAsync(first, "failed", "declined");
        await CustomerHoldIsAsync(customer, false);
        await ParticipantsAreAsync(customer, "customer", "agent1");
        await StatusIsAsync(second, "away");

        // Another colleague takes the transfer.
        var third = await AvailableAsync("agent3", () => _emulator.AnswerAsAsync("agent3"));
        await first.PostOkAsync("/api/transfer", new { colleague = "agent3" });
        await ParticipantsAreAsync(customer, "customer", "agent1", "agent3");

        await EndAsync(customer, first, third);
    }

    [Fact]
    public async Task A_first_agent_who_leaves_before_the_target_answers_leaves_the_customer_on_hold_music_until_the_target_takes_over()
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2", afterMilliseconds: 3000));

        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent2")).Any(c => c.Conference == customer && c.Status == "ringing")
            ? null : "agent2 is not ringing", StepTimeout);
        await first.PostOkAsync("/api/leave", new { });

        // Alone, the customer hears hold music, not silence.
        await AloneOnHoldMusicAsync(customer);

        // The colleague answers and has the customer, off hold.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)).Order().SequenceEqual(
            ["agent2:start=True,end=False,hold=False,audio=conference", $"{Customer},hold=False,audio=conference"])
            ? null : $"participants are [{string.Join(" | ", await _emulator.ParticipantsAsync(customer))}]", StepTimeout);
        await Eventually.HoldsAsync(async () => (await second.CallAsync())?.Role == "owner" ? null : "agent2 does not have the customer", StepTimeout);
        await StatusIsAsync(first, "available");

        await EndAsync(customer, first, second);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(400)]
    [InlineData(900)]
    public async Task A_transfer_cancelled_as_the_colleague_answers_leaves_the_first_agent_with_the_customer_and_frees_the_colleague(int answerAfterMilliseconds)
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2", afterMilliseconds: answerAfterMilliseconds));

        await first.PostOkAsync("/api/hold", new { hold = true });
        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent2")).Any(c => c.Conference == customer && c.Status is "ringing" or "in-progress")
            ? null : "agent2 is not rung", StepTimeout);
        await first.PostOkAsync("/api/transfer/cancel", new { });

        // Whether agent2's call was still ringing or had just been answered, it ends, and agent1 keeps the customer, off hold.
        await ParticipantsAreAsync(customer, "customer", "agent1");
        await CustomerHoldIsAsync(customer, false);
        await TransferIsAsync(first, "cancelled", null);
        await HasTheCustomerAsync(first);
        await StatusIsAsync(second, "available");
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent2")).Single(c => c.Conference == customer).Status is "canceled" or "completed"
            ? null : "agent2's call goes on", StepTimeout);
        Assert.Null(await second.CallAsync());

        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task A_consultant_who_leaves_hands_the_customer_back_and_nobody_is_cut_off()
    {
        var (customer, first, second) = await ConsultingAsync();

        await second.PostOkAsync("/api/leave", new { });

        await ParticipantsAreAsync(customer, "customer", "agent1");
        await TransferIsAsync(first, "failed", "left");
        await StatusIsAsync(second, "available");
        Assert.Equal("in-progress", (await _emulator.ConferenceAsync(customer))!.Status);
        Assert.Equal("owner", (await first.CallAsync())!.Role);

        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task A_consultant_whose_leg_drops_fails_the_transfer_and_the_first_agent_keeps_the_customer()
    {
        var (customer, first, second) = await ConsultingAsync();

        var leg = (await _emulator.CallsAsync()).Single(c => c.ClientIdentity == "agent2" && c.IsLive && c.CallbackParameter("session") == customer);
        await _emulator.HangUpAsync(leg.Sid);

        await ParticipantsAreAsync(customer, "customer", "agent1");
        await TransferIsAsync(first, "failed", "dropped");
        await StatusIsAsync(second, "available");

        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task Each_owner_may_transfer_again_and_the_customer_stays_through_three_hops()
    {
        var (customer, first, second) = await ConsultingAsync();
        var third = await AvailableAsync("agent3", () => _emulator.AnswerAsAsync("agent3"));

        // Hop 1: agent1 hands over to agent2.
        await first.PostOkAsync("/api/leave", new { });
        await ParticipantsAreAsync(customer, "customer", "agent2");
        await HasTheCustomerAsync(second);
        await StatusIsAsync(first, "available");

        // Hop 2: agent2 to agent3.
        await second.PostOkAsync("/api/transfer", new { colleague = "agent3" });
        await ParticipantsAreAsync(customer, "customer", "agent2", "agent3");
        await TransferIsAsync(second, "consulting", null);
        await second.PostOkAsync("/api/leave", new { });
        await ParticipantsAreAsync(customer, "customer", "agent3");
        await HasTheCustomerAsync(third);

        // Hop 3: agent3 back to agent1.
        await third.PostOkAsync("/api/transfer", new { colleague = "agent1" });
        await ParticipantsAreAsync(customer, "customer", "agent3", "agent1");
        await TransferIsAsync(third, "consulting", null);
        await third.PostOkAsync("/api/leave", new { });
        await ParticipantsAreAsync(customer, "customer", "agent1");
        await HasTheCustomerAsync(first);
        Assert.Equal("in-progress", (await _emulator.ConferenceAsync(customer))!.Status);

        await EndAsync(customer, first, second, third);
    }

    [Fact]
    public async Task A_customer_returned_to_the_queue_hears_hold_music_and_the_next_available_agent_takes_them()
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2", afterMilliseconds: 3000));

        await first.PostOkAsync("/api/return-to-queue", new { });

        // Alone while agent2's softphone rings, the customer hears hold music, not silence.
        await AloneOnHoldMusicAsync(customer);
        await StatusIsAsync(first, "available");
        await ParticipantsAreAsync(customer, "customer", "agent2");
        await CustomerHoldIsAsync(customer, false);
        await HasTheCustomerAsync(second);
        Assert.Null(await first.CallAsync());

        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task A_cold_transfer_with_a_note_leaves_the_customer_on_hold_music_until_the_colleague_who_reads_the_note_takes_them()
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2", afterMilliseconds: 3000));

        using var tooLong = await first.PostAsync("/api/transfer", new { colleague = "agent2", note = new string('x', 281), leave = true });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("available", (await second.MeAsync()).Status);

        await first.PostOkAsync("/api/transfer", new { colleague = "agent2", note = "  Wants a refund for order 1234  ", leave = true });

        // agent2's ringing panel says who is transferring, with the note; the customer, alone, hears hold music.
        await Eventually.HoldsAsync(async () => (await second.CallAsync()) is { MyStatus: "ringing", TransferNote: "Wants a refund for order 1234", TransferredBy: not null }
            ? null : "agent2's page does not show the transfer with its note", StepTimeout);
        await AloneOnHoldMusicAsync(customer);
        await StatusIsAsync(first, "available");

        await ParticipantsAreAsync(customer, "customer", "agent2");
        await CustomerHoldIsAsync(customer, false);
        await HasTheCustomerAsync(second);
        Assert.Equal("Wants a refund for order 1234", (await second.CallAsync())!.TransferNote);

        await EndAsync(customer, first, second);
    }

    [Fact]
    public async Task End_call_by_the_agent_with_the_customer_ends_it_for_everyone()
    {
        var (customer, first, second) = await ConsultingAsync();

        using var consultant = await second.PostAsync("/api/end", new { });
        Assert.Equal(System.Net.HttpStatusCode.Conflict, consultant.StatusCode);
        await first.PostOkAsync("/api/end", new { });

        await Eventually.HoldsAsync(async () => (await _emulator.ConferenceAsync(customer))!.Status == "completed" ? null : "the call goes on", StepTimeout);
        await StatusIsAsync(first, "available");
        await StatusIsAsync(second, "available");
        await GoneAsync(customer);
    }

    /// <summary>agent1 has a new customer, and their page shows it.</summary>
    private async Task<(string Customer, PortalClient First)> FirstAgentHasACustomerAsync()
    {
        var first = await AvailableAsync("agent1", () => _emulator.AnswerAsAsync("agent1"));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await ParticipantsAreAsync(customer, "customer", "agent1");
        await HasTheCustomerAsync(first);
        return (customer, first);
    }

    /// <summary>agent1 has a customer and agent2 has joined them in a consultation.</summary>
    private async Task<(string Customer, PortalClient First, PortalClient Second)> ConsultingAsync()
    {
        var (customer, first) = await FirstAgentHasACustomerAsync();
        var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2"));
        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });
        await ParticipantsAreAsync(customer, "customer", "agent1", "agent2");
        await TransferIsAsync(first, "consulting", null);
        await Eventually.HoldsAsync(async () => (await second.CallAsync()) is { Role: "consultant", MyStatus: "in-call" } ? null : "agent2's page does not show the consultation",
            StepTimeout);
        Assert.Contains("agent2:start=True,end=False,hold=False,audio=conference", await _emulator.ParticipantsAsync(customer));
        return (customer, first, second);
    }

    private async Task EndAsync(string customer, params PortalClient[] agents)
    {
        await _emulator.HangUpAsync(customer);
        foreach (var agent in agents)
        {
            await StatusIsAsync(agent, "available");
        }

        await GoneAsync(customer);
    }

    private async Task<PortalClient> AvailableAsync(string agentId, Func<Task> headlessBrowser)
    {
        await headlessBrowser();
        var session = await PortalClient.SignInAsync(fixture.App, agentId, $"{agentId}-dev-password");
        _agents.Add(session);
        await session.GoAvailableAsync();
        return session;
    }

    /// <summary>The agent's page shows them as the one who has the customer.</summary>
    private static Task HasTheCustomerAsync(PortalClient agent) =>
        Eventually.HoldsAsync(async () => (await agent.CallAsync()) is { Role: "owner", MyStatus: "in-call" } ? null : $"{agent.AgentId} does not have the customer",
            StepTimeout);

    private Task<bool> InLineAsync(string customer) => SystemState.InLineAsync(_redis, customer);

    /// <summary>The caller's call is over and they are out of the line.</summary>
    private Task GoneAsync(string customer) =>
        Eventually.HoldsAsync(async () => !await InLineAsync(customer) && (await _emulator.CallAsync(customer))?.IsLive == false
            ? null : $"{customer} is still in line or live", StepTimeout);

    /// <summary>Exactly these participants are in the conference, in whatever order they joined.</summary>
    private Task ParticipantsAreAsync(string conference, params string[] labels) =>
        Eventually.HoldsAsync(async () =>
        {
            var connected = (await _emulator.ParticipantsAsync(conference)).Select(p => p.Split(':')[0]).Order().ToArray();
            return connected.SequenceEqual(labels.Order()) ? null : $"participants are [{string.Join(", ", connected)}]";
        }, StepTimeout);

    /// <summary>The customer is alone in the conference and hears hold music, not silence.</summary>
    private Task AloneOnHoldMusicAsync(string conference) =>
        Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(conference)) is [$"{Customer},hold=True,audio=hold-music"]
            ? null : $"participants are [{string.Join(" | ", await _emulator.ParticipantsAsync(conference))}]", StepTimeout);

    private Task CustomerHoldIsAsync(string conference, bool hold) =>
        Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(conference)).Any(p => p.StartsWith($"{Customer},hold={hold}", StringComparison.Ordinal))
            ? null : $"the customer's hold is not {hold}", StepTimeout);

    private async Task<List<(string Conference, string Status)>> AgentCallsAsync(string agentId) =>
        [.. (await _emulator.AgentCallsAsync()).Where(c => c.AgentId == agentId).Select(c => (c.Conference, c.Status))];
}
