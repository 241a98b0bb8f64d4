using Microsoft.Extensions.Logging.Abstractions;
using WarmTransfer.CallCenter.State;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>What happened, recorded with the transitions that made it happen: one entry per happening, with known durations.</summary>
public sealed class ContactEventTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private readonly SessionStore _store = new(redis.Connection, TimeProvider.System, NullLogger<SessionStore>.Instance);
    private readonly ContactEventLog _log = new(redis.Connection);

    [Fact]
    public void An_answered_call_records_entered_offered_answered_with_its_wait_and_ended_with_talk_and_hold_time()
    {
        var call = new CallUnderTest();
        var happened = new List<ContactEvent>();
        void Apply(SessionEvent e) => happened.AddRange(call.Apply(e).Happened);

        call.Pass(TimeSpan.FromSeconds(9));
        Apply(new CustomerJoined(CallUnderTest.ConferenceSid));
        Apply(new AgentOffered("o1", "alice"));
        Apply(new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.InProgress, 1));
        call.Pass(TimeSpan.FromSeconds(59));
        Apply(new CustomerHoldChanged(true, 1));
        call.Pass(TimeSpan.FromSeconds(29));
        Apply(new CustomerHoldChanged(false, 2));
        call.Pass(TimeSpan.FromSeconds(99));
        Apply(new CustomerLeft(CallUnderTest.ConferenceSid, CallUnderTest.CustomerCallSid));

        // Each Apply is a second after the last: the customer waited 11 s, talked 60 + 100 s and was held 30 s.
        Assert.Equal([ContactEventKind.Offered, ContactEventKind.Answered, ContactEventKind.CallEnded], happened.Select(e => e.Kind));
        var answered = happened[1];
        Assert.Equal(("alice", TimeSpan.FromSeconds(12)), (answered.AgentId, answered.Duration!.Value));
        var ended = happened[2];
        Assert.Equal((TimeSpan.FromSeconds(160), TimeSpan.FromSeconds(30)), (ended.Duration!.Value, ended.Hold!.Value));
    }

    [Theory]
    [InlineData(false, "line")]
    [InlineData(true, "ringing")]
    public void A_caller_who_hangs_up_before_any_agent_answers_is_recorded_abandoned_with_their_wait_and_where(bool ringing, string where)
    {
        var call = new CallUnderTest();
        if (ringing)
        {
            call.Apply(new AgentOffered("o1", "alice"));
        }

        call.Pass(TimeSpan.FromSeconds(41));
        var happened = call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid)).Happened;

        var abandoned = Assert.Single(happened);
        Assert.Equal((ContactEventKind.Abandoned, where), (abandoned.Kind, abandoned.Detail));
        Assert.Equal(TimeSpan.FromSeconds(ringing ? 43 : 42), abandoned.Duration);
    }

    [Fact]
    public void A_transfer_records_asked_started_and_completed_with_the_time_it_took_and_a_refused_action_records_nothing()
    {
        var call = CallUnderTest.Connected();
        var asked = call.Apply(new TransferRequested("alice", "bob", "t1")).Happened;
        call.Answers("t1");
        call.Pass(TimeSpan.FromSeconds(19));
        var completed = call.Apply(new LeaveRequested("alice")).Happened;

        Assert.Equal([ContactEventKind.TransferAsked, ContactEventKind.TransferStarted], asked.Select(e => e.Kind));
        var done = Assert.Single(completed);
        // Asked, then bob's four callbacks and 19 s, then Leave: 24 s.
        Assert.Equal((ContactEventKind.TransferCompleted, "bob", TimeSpan.FromSeconds(24)), (done.Kind, done.AgentId, done.Duration!.Value));
        Assert.Empty(call.Apply(new TransferRequested("carol", null, null)).Happened);
    }

    [Fact]
    public async Task An_agents_day_records_each_change_of_activity_once_and_their_wrap_up_with_its_length()
    {
        var time = new ManualTime();
        var agents = new AgentStore(redis.Connection, time, Microsoft.Extensions.Options.Options.Create(new PresenceOptions()));
        var agent = $"dora{Guid.NewGuid():N}"[..12];
        var since = (await _log.ReadAsync()).LastOrDefault().Id ?? "0";

        await agents.HeartbeatAsync(agent, "page", SoftphoneState.Registered, 10, "leg0");
        await agents.ChoosePresenceAsync(agent, AgentStatus.Away, "Lunch", "leg0");
        await agents.ChoosePresenceAsync(agent, AgentStatus.Available, null, "leg0");
        await agents.HeartbeatAsync(agent, "page", SoftphoneState.Registered, 10, "leg0");
        Assert.Equal(agent, (await agents.ClaimLongestIdleAsync("CA-dora", "leg1", LinePlace.Back)).AgentId);
        await agents.InCallAsync(agent, "leg1");
        await agents.FreeAsync(agent, "leg1", away: false, nextLegId: "leg2");
        time.Advance(TimeSpan.FromSeconds(10));
        await agents.SweepAsync(["leg3"]);

        var logged = (await _log.ReadAsync(since)).Select(entry => entry.Event).Where(e => e.AgentId == agent).ToList();
        Assert.Equal(
            [
                (ContactEventKind.ActivityChanged, "away"), (ContactEventKind.ActivityChanged, "away: Lunch"), (ContactEventKind.ActivityChanged, "available"),
                (ContactEventKind.ActivityChanged, "ringing"), (ContactEventKind.ActivityChanged, "in-call"),
                (ContactEventKind.WrapUpStarted, null), (ContactEventKind.ActivityChanged, "wrap-up"),
                (ContactEventKind.WrapUpEnded, null), (ContactEventKind.ActivityChanged, "available"), (ContactEventKind.Handled, null),
            ],
            logged.Select(e => (e.Kind, e.Detail)));
        Assert.Equal(TimeSpan.FromSeconds(10), logged.Single(e => e.Kind == ContactEventKind.WrapUpEnded).Duration);
        // From answering (no time passed on the call) to the end of the wrap-up.
        Assert.Equal(TimeSpan.FromSeconds(10), logged.Single(e => e.Kind == ContactEventKind.Handled).Duration);
    }

    [Fact]
    public async Task Each_happening_is_in_the_log_once_though_its_event_is_delivered_many_times_at_once()
    {
        var id = $"CA{Guid.NewGuid():N}";
        await _store.CreateAsync(CallSession.Start(id, "+15550100", DateTimeOffset.UtcNow));
        await _store.CreateAsync(CallSession.Start(id, "+15550100", DateTimeOffset.UtcNow));

        // Twilio delivers the same answer and hang-up to several services at once; the racers decide again on what won.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => _store.DecideAsync(id, new AgentOffered("o1", "alice")))));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() =>
            _store.DecideAsync(id, new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.InProgress)))));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => _store.DecideAsync(id, new CustomerLeft(CallSid: id)))));

        var logged = (await _log.ReadAsync()).Select(entry => entry.Event).Where(e => e.SessionId == id).ToList();
        Assert.Equal([ContactEventKind.Entered, ContactEventKind.Offered, ContactEventKind.Answered, ContactEventKind.CallEnded], logged.Select(e => e.Kind));
        Assert.Equal("alice", logged[2].AgentId);
        Assert.NotNull(logged[3].Duration);
    }
}
