using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>The line in a real Redis: claims, frees and presence, each one script over the line's keys.</summary>
public sealed class AgentStoreTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly AgentStore _agents = new(redis.Connection, TimeProvider.System);

    public async Task InitializeAsync() => await redis.Connection.GetServers()[0].FlushDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_longest_idle_agent_is_claimed_for_a_caller_and_a_caller_with_no_agent_waits_in_line()
    {
        await AvailableAsync("alice");
        await AvailableAsync("bob");

        Assert.Equal("alice", await _agents.ClaimLongestIdleAsync("CA1", "leg1", front: false));
        Assert.Equal("bob", await _agents.ClaimLongestIdleAsync("CA2", "leg2", front: false));
        Assert.Null(await _agents.ClaimLongestIdleAsync("CA3", "leg3", front: false));
        Assert.Null(await _agents.ClaimLongestIdleAsync("CA4", "leg4", front: true));

        Assert.Equal(["CA4", "CA3"], await _agents.WaitingAsync());
        Assert.Equal(new AgentState("alice", AgentStatus.Ringing, AgentStatus.Available, "CA1", "leg1"), (await _agents.GetAsync("alice")) with { Since = null });
    }

    [Fact]
    public async Task An_agent_is_freed_only_from_the_leg_they_are_on_and_then_takes_the_longest_waiting_caller()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", front: false);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", front: false);

        Assert.Null(await _agents.FreeAsync("alice", "an-old-leg", away: false, nextLegId: "leg3"));
        Assert.Equal(AgentStatus.Ringing, (await _agents.GetAsync("alice")).Status);

        Assert.Equal("CA2", await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg3"));
        Assert.Equal(("CA2", "leg3"), ((await _agents.GetAsync("alice")).SessionId, (await _agents.GetAsync("alice")).LegId));
        Assert.Empty(await _agents.WaitingAsync());
    }

    [Fact]
    public async Task An_agent_who_missed_an_offer_is_away_and_not_offered_the_next_caller()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", front: false);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", front: false);

        Assert.Null(await _agents.FreeAsync("alice", "leg1", away: true, nextLegId: "leg3"));

        Assert.Equal((AgentStatus.Away, AgentStatus.Away), ((await _agents.GetAsync("alice")).Status, (await _agents.GetAsync("alice")).Presence));
        Assert.Equal(["CA2"], await _agents.WaitingAsync());
        Assert.Empty(await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task Away_chosen_on_a_call_takes_effect_when_the_call_ends()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", front: false);
        await _agents.InCallAsync("alice", "leg1");

        Assert.Equal(AgentStatus.InCall, await _agents.ChoosePresenceAsync("alice", AgentStatus.Away));
        await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg2");

        Assert.Equal(AgentStatus.Away, (await _agents.GetAsync("alice")).Status);
        Assert.Empty(await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task Only_an_available_agent_can_be_claimed_for_a_transfer()
    {
        await AvailableAsync("bob");

        Assert.True(await _agents.ClaimAsync("bob", "CA1", "leg1"));
        Assert.False(await _agents.ClaimAsync("bob", "CA2", "leg2"));
        Assert.False(await _agents.ClaimAsync("carol", "CA2", "leg2"));
    }

    private async Task AvailableAsync(string agentId)
    {
        await _agents.ChoosePresenceAsync(agentId, AgentStatus.Available);
        await _agents.FreeAsync(agentId, legId: null, away: false, nextLegId: "unused");
    }
}
