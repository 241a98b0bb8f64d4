using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>
/// The line in a real Redis: claims, frees, presence that is proved alive, wrap-up and the priority line, each one script over
/// the line's keys. Time is the test's: heartbeats expire and timers end when the test moves the clock.
/// </summary>
public sealed class AgentStoreTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly ManualTime _time = new();
    private AgentStore _agents = null!;

    public async Task InitializeAsync()
    {
        await redis.Connection.GetServers()[0].FlushDatabaseAsync();
        _agents = new AgentStore(redis.Connection, _time, Options.Create(new PresenceOptions()));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_longest_idle_agent_is_claimed_for_a_caller_and_a_caller_with_no_agent_waits_in_line()
    {
        await AvailableAsync("alice");
        await AvailableAsync("bob");

        Assert.Equal("alice", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
        Assert.Equal("bob", (await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back)).AgentId);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA3", "leg3", LinePlace.Back)).AgentId);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA4", "leg4", LinePlace.Front)).AgentId);

        Assert.Equal(["CA4", "CA3"], await _agents.WaitingAsync());
        var alice = await _agents.GetAsync("alice");
        Assert.Equal((AgentStatus.Ringing, AgentStatus.Available, "CA1", "leg1"), (alice.Status, alice.Presence, alice.SessionId, alice.LegId));
    }

    [Fact]
    public async Task A_caller_already_in_line_asked_for_again_keeps_their_place_unless_sent_to_the_front()
    {
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA3", "leg3", LinePlace.Back);

        Assert.Equal(2, (await _agents.ClaimLongestIdleAsync("CA2", "leg4", LinePlace.Back)).Position);
        Assert.Equal(1, (await _agents.ClaimLongestIdleAsync("CA1", "leg5", LinePlace.Back)).Position);
        Assert.Equal(["CA1", "CA2", "CA3"], await _agents.WaitingAsync());

        Assert.Equal(1, (await _agents.ClaimLongestIdleAsync("CA3", "leg6", LinePlace.Front)).Position);
        Assert.Equal(["CA3", "CA1", "CA2"], await _agents.WaitingAsync());
    }

    [Fact]
    public async Task An_agent_is_freed_only_from_the_leg_they_are_on_and_then_takes_the_longest_waiting_caller()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);

        Assert.False((await _agents.FreeAsync("alice", "an-old-leg", away: false, nextLegId: "leg3")).Changed);
        Assert.Equal(AgentStatus.Ringing, (await _agents.GetAsync("alice")).Status);

        var freed = await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg3");
        Assert.Equal(("CA2", false), (freed.SessionId, freed.Transfer));
        Assert.Equal(("CA2", "leg3"), ((await _agents.GetAsync("alice")).SessionId, (await _agents.GetAsync("alice")).LegId));
        Assert.Empty(await _agents.WaitingAsync());
    }

    [Fact]
    public async Task An_agent_who_missed_an_offer_is_away_with_the_reason_and_not_offered_the_next_caller()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);

        Assert.Null((await _agents.FreeAsync("alice", "leg1", away: true, nextLegId: "leg3")).SessionId);

        var alice = await _agents.GetAsync("alice");
        Assert.Equal((AgentStatus.Away, AgentStatus.Away, AgentStore.MissedCallReason), (alice.Status, alice.Presence, alice.Reason));
        Assert.Equal(["CA2"], await _agents.WaitingAsync());
        Assert.Empty(await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task Away_chosen_on_a_call_takes_effect_when_the_call_and_its_wrap_up_end()
    {
        await AvailableAsync("alice", wrapUpSeconds: 30);
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.InCallAsync("alice", "leg1");

        await _agents.ChoosePresenceAsync("alice", AgentStatus.Away, "Lunch", "unused");
        Assert.Equal(AgentStatus.InCall, (await _agents.GetAsync("alice")).Status);
        await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg2");
        Assert.Equal(AgentStatus.WrapUp, (await _agents.GetAsync("alice")).Status);

        await _agents.ReadyAsync("alice", "leg3");

        var alice = await _agents.GetAsync("alice");
        Assert.Equal((AgentStatus.Away, "Lunch"), (alice.Status, alice.Reason));
        Assert.Empty(await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task Only_an_available_and_live_agent_can_be_claimed_for_a_transfer()
    {
        await AvailableAsync("bob");
        await AvailableAsync("dave");
        await _agents.HeartbeatAsync("dave", "page", SoftphoneState.Unregistered, 0, "unused");

        Assert.True(await _agents.ClaimAsync("bob", "CA1", "leg1"));
        Assert.False(await _agents.ClaimAsync("bob", "CA2", "leg2"));
        Assert.False(await _agents.ClaimAsync("carol", "CA2", "leg2"));
        Assert.False(await _agents.ClaimAsync("dave", "CA2", "leg2"));
    }

    [Fact]
    public async Task Available_with_no_page_is_offline_and_offered_nothing()
    {
        var chosen = await _agents.ChoosePresenceAsync("alice", AgentStatus.Available, null, "unused");

        Assert.True(chosen.Changed);
        Assert.Equal((AgentStatus.Offline, AgentStatus.Available), ((await _agents.GetAsync("alice")).Status, (await _agents.GetAsync("alice")).Presence));
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
        Assert.Equal(["CA1"], await _agents.WaitingAsync());
    }

    [Fact]
    public async Task A_claim_looks_past_any_number_of_agents_it_cannot_ring_keeping_the_re_registering_in_their_places()
    {
        string[] reRegistering = [.. Enumerable.Range(0, 10).Select(i => $"holding{i:00}")];
        string[] silent = [.. Enumerable.Range(0, 10).Select(i => $"silent{i:00}")];
        foreach (var agent in reRegistering.Concat(silent))
        {
            await AvailableAsync(agent);
        }

        _time.Advance(TimeSpan.FromSeconds(9));
        await AvailableAsync("zoe");
        foreach (var agent in reRegistering)
        {
            await _agents.HeartbeatAsync(agent, "page", SoftphoneState.Unregistered, 0, "unused");
        }

        // The silent pages' heartbeats are 11 s old; the re-registering ones are fresh, their softphones coming back.
        _time.Advance(TimeSpan.FromSeconds(2));
        await _agents.HeartbeatAsync("zoe", "page", SoftphoneState.Registered, 0, "unused");

        Assert.Equal("zoe", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
        Assert.Equal(reRegistering, await _agents.AvailableAgentsAsync());
        foreach (var agent in silent)
        {
            Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync(agent)).Status);
        }
    }

    [Fact]
    public async Task A_page_that_stops_its_heartbeat_makes_its_agent_unroutable_within_the_expiry_and_is_swept_offline()
    {
        await AvailableAsync("alice");
        await AvailableAsync("bob");

        _time.Advance(TimeSpan.FromSeconds(9));
        await _agents.HeartbeatAsync("bob", "page", SoftphoneState.Registered, 0, "unused");
        _time.Advance(TimeSpan.FromSeconds(2));

        // Alice's last heartbeat is 11 s old: the caller goes to Bob, though Alice has been idle longer.
        Assert.Equal("bob", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
        Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync("alice")).Status);

        await AvailableAsync("carol");
        _time.Advance(TimeSpan.FromSeconds(11));
        // Bob, rung for the caller, has stopped beating too: his offer is to be withdrawn.
        var swept = await _agents.SweepAsync(["leg2", "leg3"]);
        Assert.Equal([("bob", "leg1"), ("carol", null)], swept.Select(change => (change.AgentId, change.Change.GoneFromLeg)).Order());
        Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync("carol")).Status);
    }

    [Fact]
    public async Task A_closed_page_makes_its_agent_offline_at_once_and_a_heartbeat_brings_them_back_to_the_waiting_caller()
    {
        await AvailableAsync("alice");
        await _agents.HeartbeatAsync("alice", "page", softphone: null, 0, "unused");
        Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync("alice")).Status);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);

        // The page comes back on a new connection, as a reloaded tab or a reconnect does.
        var back = await _agents.HeartbeatAsync("alice", "page2", SoftphoneState.Registered, 0, "leg2");

        Assert.Equal("CA1", back.SessionId);
        Assert.Equal(("CA1", "leg2"), ((await _agents.GetAsync("alice")).SessionId, (await _agents.GetAsync("alice")).LegId));
    }

    [Fact]
    public async Task A_beat_of_a_closed_page_handled_after_its_close_does_not_bring_the_agent_back()
    {
        await AvailableAsync("alice");
        await _agents.HeartbeatAsync("alice", "page", softphone: null, 0, "unused");

        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "unused");

        Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync("alice")).Status);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
    }

    [Fact]
    public async Task A_page_found_closed_after_the_agent_reconnected_on_another_changes_nothing()
    {
        await AvailableAsync("alice");
        await _agents.HeartbeatAsync("alice", "page2", SoftphoneState.Registered, 0, "unused");

        await _agents.HeartbeatAsync("alice", "page", softphone: null, 0, "unused");

        Assert.Equal(AgentStatus.Available, (await _agents.GetAsync("alice")).Status);
        Assert.Equal("alice", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
    }

    [Fact]
    public async Task A_page_whose_softphone_is_not_registered_yet_is_offline_not_available()
    {
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Unregistered, 0, "unused");
        await _agents.ChoosePresenceAsync("alice", AgentStatus.Available, null, "unused");

        Assert.Equal(AgentStatus.Offline, (await _agents.GetAsync("alice")).Status);
        Assert.Empty(await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task A_page_that_goes_while_its_agent_is_rung_says_so_with_the_leg_whether_it_closes_or_stops_beating()
    {
        await AvailableAsync("alice");
        await AvailableAsync("bob");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);

        var closed = await _agents.HeartbeatAsync("alice", "page", softphone: null, 0, "unused");
        Assert.Equal(("CA1", "leg1"), (closed.SessionId, closed.GoneFromLeg));

        _time.Advance(TimeSpan.FromSeconds(11));
        var (agentId, legId, change) = Assert.Single(await _agents.SweepAsync(["leg3", "leg4"]));
        Assert.Equal(("bob", "leg2", "CA2", "leg2"), (agentId, legId, change.SessionId, change.GoneFromLeg));
        Assert.Empty(await _agents.SweepAsync(["leg5"]));
    }

    [Fact]
    public async Task A_softphone_that_re_registers_within_the_grace_keeps_its_place_and_is_offered_nothing_meanwhile()
    {
        await AvailableAsync("alice");
        await AvailableAsync("bob");
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Unregistered, 0, "unused");

        Assert.Equal(AgentStatus.Available, (await _agents.GetAsync("alice")).Status);
        Assert.Equal("bob", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back)).AgentId);

        _time.Advance(TimeSpan.FromSeconds(5));
        var back = await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg3");

        Assert.Equal("CA2", back.SessionId);
    }

    [Fact]
    public async Task A_softphone_gone_past_the_grace_is_offline_until_it_registers_again_by_itself()
    {
        await AvailableAsync("alice");
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Unregistered, 0, "unused");
        _time.Advance(TimeSpan.FromSeconds(8));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Unregistered, 0, "unused");
        _time.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal(["alice"], (await _agents.SweepAsync(["leg1"])).Select(change => change.AgentId));
        Assert.Equal((AgentStatus.Offline, AgentStatus.Available), ((await _agents.GetAsync("alice")).Status, (await _agents.GetAsync("alice")).Presence));

        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "unused");
        Assert.Equal(AgentStatus.Available, (await _agents.GetAsync("alice")).Status);
        Assert.Equal(["alice"], await _agents.AvailableAgentsAsync());
    }

    [Fact]
    public async Task A_softphone_busy_with_a_call_of_its_own_is_offered_nothing()
    {
        await AvailableAsync("alice");
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Busy, 0, "unused");

        Assert.Null((await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).AgentId);

        Assert.Equal("CA1", (await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg2")).SessionId);
    }

    [Fact]
    public async Task Wrap_up_holds_routing_for_its_time_then_the_agent_takes_the_waiting_caller_and_handle_time_is_counted()
    {
        await AvailableAsync("alice", wrapUpSeconds: 20);
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.InCallAsync("alice", "leg1");
        _time.Advance(TimeSpan.FromSeconds(60));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 20, "unused");

        await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg2");
        var alice = await _agents.GetAsync("alice");
        Assert.Equal((AgentStatus.WrapUp, _time.GetUtcNow().AddSeconds(20)), (alice.Status, alice.WrapUpEndsAt));
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA2", "leg3", LinePlace.Back)).AgentId);

        _time.Advance(TimeSpan.FromSeconds(19));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 20, "unused");
        Assert.Empty(await _agents.SweepAsync(["leg4"]));
        _time.Advance(TimeSpan.FromSeconds(1));
        var (agentId, legId, change) = Assert.Single(await _agents.SweepAsync(["leg4"]));

        Assert.Equal(("alice", "leg4", "CA2"), (agentId, legId, change.SessionId));
        Assert.Equal((TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(80)), (change.WrapUp, change.HandleTime));
    }

    [Fact]
    public async Task More_time_extends_wrap_up_once_and_Ready_ends_it_at_once()
    {
        await AvailableAsync("alice", wrapUpSeconds: 30);
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.InCallAsync("alice", "leg1");
        await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg2");
        var ends = (await _agents.GetAsync("alice")).WrapUpEndsAt;

        Assert.True(await _agents.MoreTimeAsync("alice"));
        Assert.False(await _agents.MoreTimeAsync("alice"));
        var extended = await _agents.GetAsync("alice");
        Assert.Equal((ends + TimeSpan.FromSeconds(30), true), (extended.WrapUpEndsAt, extended.WrapUpExtended));

        _time.Advance(TimeSpan.FromSeconds(5));
        var ready = await _agents.ReadyAsync("alice", "leg3");

        Assert.Equal(TimeSpan.FromSeconds(5), ready!.WrapUp);
        Assert.Equal(AgentStatus.Available, (await _agents.GetAsync("alice")).Status);
        Assert.Null(await _agents.ReadyAsync("alice", "leg4"));
        Assert.Null(await _agents.MoreTimeAsync("alice"));
    }

    [Fact]
    public async Task An_agent_only_rung_has_no_wrap_up()
    {
        await AvailableAsync("alice", wrapUpSeconds: 30);
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);

        await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg2");

        Assert.Equal(AgentStatus.Available, (await _agents.GetAsync("alice")).Status);
    }

    [Fact]
    public async Task A_waiting_transfer_is_served_by_the_first_colleague_freed_before_any_waiting_caller()
    {
        await AvailableAsync("alice");
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA3", "leg3", LinePlace.Front);
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA0", "leg4", LinePlace.Transfer)).AgentId);
        Assert.Equal(["CA0"], await _agents.WaitingTransfersAsync());

        var freed = await _agents.FreeAsync("alice", "leg1", away: false, nextLegId: "leg5");

        Assert.Equal(("CA0", true), (freed.SessionId, freed.Transfer));
        Assert.Empty(await _agents.WaitingTransfersAsync());
        Assert.Equal(["CA3", "CA2"], await _agents.WaitingAsync());
    }

    [Fact]
    public async Task A_session_leaves_both_lines_and_only_a_caller_counts_as_one_who_left_the_line()
    {
        await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back);
        await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Transfer);

        Assert.True(await _agents.LeaveLineAsync("CA1"));
        // A transfer leaves the priority line, and is not counted as a caller who left.
        Assert.False(await _agents.LeaveLineAsync("CA2"));
        Assert.False(await _agents.LeaveLineAsync("CA1"));
        Assert.Empty(await _agents.WaitingAsync());
        Assert.Empty(await _agents.WaitingTransfersAsync());
    }

    [Fact]
    public async Task The_line_knows_each_callers_place_and_measures_a_service_interval_only_while_callers_wait_through_it()
    {
        foreach (var caller in new[] { "CA1", "CA2", "CA3" })
        {
            await _agents.ClaimLongestIdleAsync(caller, "unused", LinePlace.Back);
        }

        int?[] places = [await _agents.PositionAsync("CA1"), await _agents.PositionAsync("CA2"), await _agents.PositionAsync("CA3")];
        Assert.Equal([1, 2, 3], places);
        Assert.Null(await _agents.PositionAsync("CA9"));

        // Alice takes the callers one after another: the first has no caller before them; the next two waited through the gaps.
        _time.Advance(TimeSpan.FromMinutes(1));
        await AvailableAsync("alice");
        Assert.Equal(1, await _agents.PositionAsync("CA2"));
        _time.Advance(TimeSpan.FromSeconds(40));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "unused");
        await _agents.FreeAsync("alice", "unused", away: false, nextLegId: "leg2");
        _time.Advance(TimeSpan.FromSeconds(20));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "unused");
        await _agents.FreeAsync("alice", "leg2", away: false, nextLegId: "leg3");
        Assert.Null(await _agents.PositionAsync("CA3"));

        // The line was empty for ten minutes before the next caller came: that is idle time, not a service interval.
        _time.Advance(TimeSpan.FromMinutes(10));
        await _agents.ClaimLongestIdleAsync("CA4", "unused", LinePlace.Back);
        _time.Advance(TimeSpan.FromSeconds(5));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "unused");
        await _agents.FreeAsync("alice", "leg3", away: false, nextLegId: "leg4");

        var intervals = await _agents.ServiceIntervalsAsync();
        Assert.Equal([TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40) + TimeSpan.FromMilliseconds(1)], intervals.Select(interval => interval.Gap));
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(5), intervals[0].At);
        Assert.Equal("CA4", (await _agents.GetAsync("alice")).SessionId);
    }

    [Fact]
    public async Task A_caller_offered_again_while_still_in_line_leaves_the_line_when_an_agent_is_claimed_for_them()
    {
        await AvailableAsync("alice");
        // A line out of step with routing (a reconciler's stale look): the caller waits although an agent is free.
        var db = redis.Connection.GetDatabase();
        await db.ListRightPushAsync(RedisKeys.WaitingCallers, "CA1");
        await db.HashSetAsync(RedisKeys.CallersJoined, "CA1", 0);

        Assert.Equal("alice", (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Front)).AgentId);

        Assert.Empty(await _agents.WaitingAsync());
        Assert.False(await db.HashExistsAsync(RedisKeys.CallersJoined, "CA1"));
    }

    /// <summary>A live page with a registered softphone, and the agent chose Available.</summary>
    [Fact]
    public async Task A_callback_entry_is_served_after_the_callers_ahead_of_it_and_before_those_behind_and_a_missed_one_returns_to_the_front()
    {
        // CA2 asked to be called back and hung up: its entry is not moved (the session decides no line change for it).
        foreach (var caller in new[] { "CA1", "CA2", "CA3", "CA4" })
        {
            Assert.Null((await _agents.ClaimLongestIdleAsync(caller, $"leg-{caller}", LinePlace.Back)).AgentId);
        }

        Assert.Equal(2, await _agents.PositionAsync("CA2"));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg-a1");
        Assert.Equal("CA1", (await _agents.ChoosePresenceAsync("alice", AgentStatus.Available, null, "leg-a1")).SessionId);
        Assert.Equal("CA2", (await _agents.FreeAsync("alice", "leg-a1", away: false, nextLegId: "leg-a2")).SessionId);
        Assert.Equal(["CA3", "CA4"], await _agents.WaitingAsync());

        // The customer did not answer: after its retry delay the entry goes back to the front, ahead of those who were behind it.
        await _agents.FreeAsync("alice", "leg-a2", away: false, nextLegId: "leg-a3");
        Assert.Equal(["CA4"], await _agents.WaitingAsync());
        Assert.Null((await _agents.ClaimLongestIdleAsync("CA2", "leg-again", LinePlace.Front)).AgentId);
        Assert.Equal(["CA2", "CA4"], await _agents.WaitingAsync());
        Assert.Equal(1, await _agents.PositionAsync("CA2"));
    }

    [Fact]
    public async Task A_caller_put_in_line_is_told_their_place_and_the_lines_recent_pace_and_is_never_in_it_twice()
    {
        Assert.Equal(1, (await _agents.ClaimLongestIdleAsync("CA1", "leg1", LinePlace.Back)).Position);
        Assert.Equal(2, (await _agents.ClaimLongestIdleAsync("CA2", "leg2", LinePlace.Back)).Position);
        Assert.Equal(3, (await _agents.ClaimLongestIdleAsync("CA3", "leg3", LinePlace.Back)).Position);
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg-a1");
        Assert.Equal("CA1", (await _agents.ChoosePresenceAsync("alice", AgentStatus.Available, null, "leg-a1")).SessionId);
        _time.Advance(TimeSpan.FromSeconds(20));
        await _agents.HeartbeatAsync("alice", "page", SoftphoneState.Registered, 0, "leg-a1");
        Assert.Equal("CA2", (await _agents.FreeAsync("alice", "leg-a1", away: false, nextLegId: "leg-a2")).SessionId);

        // CA2's offer failed: back at the front. CA3, offered again by reconciliation while it waits, keeps one entry, at the back.
        var front = await _agents.ClaimLongestIdleAsync("CA2", "leg-again", LinePlace.Front);
        var back = await _agents.ClaimLongestIdleAsync("CA3", "leg-again", LinePlace.Back);

        Assert.Equal((null, 1), (front.AgentId, front.Position));
        Assert.Equal(2, back.Position);
        Assert.Equal(["CA2", "CA3"], await _agents.WaitingAsync());
        var pace = await _agents.ServiceIntervalsAsync();
        Assert.Equal(TimeSpan.FromSeconds(20), Assert.Single(pace).Gap);
        Assert.Equal(pace, front.Intervals);
        Assert.Equal(pace, back.Intervals);
    }

    private async Task AvailableAsync(string agentId, int wrapUpSeconds = 0)
    {
        await _agents.HeartbeatAsync(agentId, "page", SoftphoneState.Registered, wrapUpSeconds, "unused");
        await _agents.ChoosePresenceAsync(agentId, AgentStatus.Available, null, "unused");
        // Each agent idle from its own millisecond: the longest-idle order is the order they came.
        _time.Advance(TimeSpan.FromMilliseconds(1));
    }
}
