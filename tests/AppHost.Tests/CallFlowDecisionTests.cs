using StackExchange.Redis;

namespace WarmTransfer.AppHost.Tests;

/// <summary>
/// Each call-flow decision of a support line's bad moments, through the real system: it ends in a defined state the
/// emulator's conference and calls show, with Redis true and no agent left busy.
/// </summary>
[Collection(WarmTransferAppCollection.Name)]
public sealed class CallFlowDecisionTests(WarmTransferAppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private readonly EmulatorAdmin _emulator = EmulatorAdmin.For(fixture.App);
    private ConnectionMultiplexer _redis = null!;

    private IDatabase Db => _redis.GetDatabase();

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

    [Theory]
    [InlineData("reject", "busy")]
    [InlineData("never", "no-answer")]
    public async Task An_agent_who_misses_the_call_goes_away_and_the_caller_goes_to_the_next_available_agent(string agentOneDoes, string callStatus)
    {
        using var first = await AvailableAsync("agent1", () => agentOneDoes == "reject" ? _emulator.RejectAsAsync("agent1") : _emulator.NeverAnswerAsAsync("agent1"));
        using var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2"));

        var customer = await _emulator.CallSupportLineAsync(NewNumber());

        await ParticipantsAreAsync(customer, "customer", "agent2");
        Assert.Equal(callStatus, (await AgentCallsAsync("agent1")).Single(c => c.Conference == customer).Status);
        await StatusIsAsync("agent1", "away");
        Assert.Equal("away", (string?)await Db.HashGetAsync("wt:agent:agent1", "presence"));
        Assert.DoesNotContain(customer, (await Db.ListRangeAsync("wt:callers:waiting")).Select(v => v.ToString()));
        Assert.Equal("agent2", (string?)await Db.HashGetAsync($"wt:conference:{customer}", "firstAgent"));

        await _emulator.HangUpAsync(customer);
        await StatusIsAsync("agent2", "available");
        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_customer_who_hangs_up_while_the_agent_rings_has_the_agents_call_cancelled_and_frees_the_agent()
    {
        using var agent = await AvailableAsync("agent1", () => _emulator.NeverAnswerAsAsync("agent1"));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent1")).Any(c => c.Conference == customer && c.Status == "ringing")
            ? null : "agent1 is not ringing", StepTimeout);

        await _emulator.HangUpAsync(customer);

        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent1")).Single(c => c.Conference == customer).Status == "canceled"
            ? null : "agent1's call was not cancelled", StepTimeout);
        // Not the agent's fault: they are available again, not away.
        await StatusIsAsync("agent1", "available");
        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_customer_who_hangs_up_while_waiting_in_line_leaves_the_line()
    {
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await Eventually.HoldsAsync(async () => (await Db.ListRangeAsync("wt:callers:waiting")).Any(v => v == customer)
            ? null : "the caller is not waiting in line", StepTimeout);
        // Waiting means hearing the wait music in the conference; hanging up before getting there is another case.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)) is [var only] && only.StartsWith("customer:", StringComparison.Ordinal)
            && only.EndsWith("audio=wait-music", StringComparison.Ordinal) ? null : "the caller is not hearing the wait music", StepTimeout);

        await _emulator.HangUpAsync(customer);

        await GoneAsync(customer);
        Assert.Empty(await Db.SortedSetRangeByRankAsync("wt:agents:available"));
    }

    [Fact]
    public async Task A_transfer_target_who_declines_leaves_the_first_agent_with_the_customer_off_hold_and_free_to_try_another_colleague()
    {
        using var first = await AvailableAsync("agent1", () => _emulator.AnswerAsAsync("agent1"));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await ParticipantsAreAsync(customer, "customer", "agent1");
        using var second = await AvailableAsync("agent2", () => _emulator.RejectAsAsync("agent2", afterMilliseconds: 500));

        await first.PostOkAsync("/api/hold", new { hold = true });
        await CustomerHoldIsAsync(customer, true);
        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });

        await Eventually.HoldsAsync(async () => await Db.HashGetAsync($"wt:conference:{customer}", "transferState") == "failed"
            ? null : "the transfer has not failed", StepTimeout);
        Assert.Equal("busy", (string?)await Db.HashGetAsync($"wt:conference:{customer}", "transferFailure"));
        await CustomerHoldIsAsync(customer, false);
        await ParticipantsAreAsync(customer, "customer", "agent1");
        await StatusIsAsync("agent2", "away");

        // Another colleague takes the transfer.
        using var third = await AvailableAsync("agent3", () => _emulator.AnswerAsAsync("agent3"));
        await first.PostOkAsync("/api/transfer", new { colleague = "agent3" });
        await ParticipantsAreAsync(customer, "customer", "agent1", "agent3");

        await _emulator.HangUpAsync(customer);
        await StatusIsAsync("agent1", "available");
        await StatusIsAsync("agent3", "available");
        await GoneAsync(customer);
    }

    [Fact]
    public async Task A_first_agent_who_hangs_up_before_the_target_answers_leaves_the_customer_on_hold_music_until_the_target_takes_over()
    {
        using var first = await AvailableAsync("agent1", () => _emulator.AnswerAsAsync("agent1"));
        var customer = await _emulator.CallSupportLineAsync(NewNumber());
        await ParticipantsAreAsync(customer, "customer", "agent1");
        using var second = await AvailableAsync("agent2", () => _emulator.AnswerAsAsync("agent2", afterMilliseconds: 3000));

        await first.PostOkAsync("/api/transfer", new { colleague = "agent2" });
        await Eventually.HoldsAsync(async () => (await AgentCallsAsync("agent2")).Any(c => c.Conference == customer && c.Status == "ringing")
            ? null : "agent2 is not ringing", StepTimeout);
        await first.PostOkAsync("/api/leave", new { });

        // Alone, the customer hears hold music, not silence.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)) is ["customer:start=False,end=True,hold=True,audio=hold-music"]
            ? null : $"participants are [{string.Join(" | ", await _emulator.ParticipantsAsync(customer))}] ", StepTimeout);

        // The colleague answers and has the customer, off hold.
        await Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(customer)) is
            ["customer:start=False,end=True,hold=False,audio=conference", "agent2:start=True,end=True,hold=False,audio=conference"]
            ? null : $"participants are [{string.Join(" | ", await _emulator.ParticipantsAsync(customer))}]", StepTimeout);
        Assert.Equal("agent2", (string?)await Db.HashGetAsync($"wt:conference:{customer}", "firstAgent"));
        Assert.Equal("completed", (string?)await Db.HashGetAsync($"wt:conference:{customer}", "transferState"));
        await StatusIsAsync("agent1", "available");

        await _emulator.HangUpAsync(customer);
        await StatusIsAsync("agent2", "available");
        await GoneAsync(customer);
    }

    private async Task<PortalClient> AvailableAsync(string agentId, Func<Task> headlessBrowser)
    {
        await headlessBrowser();
        var session = await PortalClient.SignInAsync(fixture.App, agentId, $"{agentId}-dev-password");
        await session.PostOkAsync("/api/presence", new { status = "available" });
        return session;
    }

    private Task StatusIsAsync(string agentId, string status) =>
        Eventually.HoldsAsync(async () => await Db.HashGetAsync($"wt:agent:{agentId}", "status") is var actual && actual == status
            ? null : $"{agentId} is {actual}, not {status}", StepTimeout);

    /// <summary>The conference's state is gone from Redis and the caller from the line.</summary>
    private Task GoneAsync(string conference) =>
        Eventually.HoldsAsync(async () => !await Db.KeyExistsAsync($"wt:conference:{conference}")
            && !(await Db.ListRangeAsync("wt:callers:waiting")).Any(v => v == conference)
            ? null : $"{conference} is still in Redis", StepTimeout);

    private Task ParticipantsAreAsync(string conference, params string[] labels) =>
        Eventually.HoldsAsync(async () =>
        {
            var connected = (await _emulator.ParticipantsAsync(conference)).Select(p => p.Split(':')[0]).ToArray();
            return connected.SequenceEqual(labels) ? null : $"participants are [{string.Join(", ", connected)}]";
        }, StepTimeout);

    private Task CustomerHoldIsAsync(string conference, bool hold) =>
        Eventually.HoldsAsync(async () => (await _emulator.ParticipantsAsync(conference)).Any(p => p.StartsWith($"customer:start=False,end=True,hold={hold}", StringComparison.Ordinal))
            ? null : $"the customer's hold is not {hold}", StepTimeout);

    private async Task<List<(string Conference, string Status)>> AgentCallsAsync(string agentId) =>
        [.. (await _emulator.AgentCallsAsync()).Where(c => c.AgentId == agentId).Select(c => (c.Conference, c.Status))];

    private static string NewNumber() => $"+1555{Random.Shared.Next(1_000_000, 9_999_999)}";
}
