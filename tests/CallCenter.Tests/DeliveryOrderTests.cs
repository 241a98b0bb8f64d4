using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Callbacks as Twilio really delivers them: out of order, twice, or not at all.</summary>
public sealed class DeliveryOrderTests
{
    [Fact]
    public void A_join_that_overtakes_the_call_progress_connects_the_customer_and_the_late_progress_changes_nothing()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));

        call.Joined("o1");
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Equal(new AgentInCall("alice", "o1"), call.Single<AgentInCall>());

        foreach (var status in new[] { LegCallStatus.Initiated, LegCallStatus.Ringing, LegCallStatus.InProgress })
        {
            call.Progress("o1", status);
            Assert.False(call.Last.Changed);
            Assert.Empty(call.Effects);
        }

        Assert.Equal(LegStatus.Joined, call.Session.Leg("o1")!.Status);
    }

    [Fact]
    public void A_late_answer_after_the_leg_completed_does_not_put_the_agent_back_in_the_call()
    {
        var call = CallUnderTest.Consulting();
        call.Apply(new LeaveRequested("bob"));
        call.Hangs("t1");

        call.Apply(new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.InProgress, Sequence: 3));
        call.Apply(new AgentJoined("bob", CallUnderTest.CallSidOf("t1"), CallUnderTest.ConferenceSid));

        Assert.False(call.Last.Changed);
        Assert.Empty(call.Effects);
        Assert.False(call.Session.Leg("t1")!.IsLive);
    }

    [Fact]
    public void A_leave_that_overtakes_the_join_ends_the_leg_once()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Progress("t1", LegCallStatus.InProgress);

        call.Left("t1");
        Assert.Equal(TransferFailure.Dropped, call.Session.Transfer!.Failure);
        Assert.Single(call.Effects.OfType<FreeAgent>());

        call.Joined("t1");
        Assert.Empty(call.Effects);
        call.Progress("t1", LegCallStatus.Completed);
        Assert.Empty(call.Effects);
        Assert.Equal("o1", call.Session.OwnerLegId);
    }

    [Fact]
    public void Each_event_seen_twice_changes_nothing_the_second_time()
    {
        var call = CallUnderTest.Connected();
        var events = new SessionEvent[]
        {
            new TransferRequested("alice", "bob", "t1"),
            new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.Ringing, 1),
            new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.InProgress, 2),
            new AgentJoined("bob", CallUnderTest.CallSidOf("t1"), CallUnderTest.ConferenceSid),
            new CustomerHoldChanged(true, 5),
            new AgentLeft("alice", CallUnderTest.CallSidOf("o1"), CallUnderTest.ConferenceSid),
            new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.Completed, 9),
            new CustomerLeft(CallUnderTest.ConferenceSid),
            new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.Completed, 3),
        };

        foreach (var @event in events)
        {
            call.Apply(@event);
            var version = call.Session.Version;

            var again = call.Apply(@event);

            Assert.False(again.Changed, $"{@event} changed the session the second time");
            Assert.Equal(version, call.Session.Version);
            Assert.DoesNotContain(again.Effects, effect => effect is DialAgent or HoldCustomer or ResumeCustomer or OfferToNextAgent or EndConference or FreeAgent);
        }
    }

    [Fact]
    public void A_progress_callback_older_than_the_last_one_seen_is_ignored()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));
        call.Apply(new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.Completed, Sequence: 4));

        var late = call.Apply(new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.Busy, Sequence: 2));

        Assert.False(late.Changed);
        Assert.Equal(LegEnd.Completed, call.Session.Leg("o1")!.End);
    }

    [Fact]
    public void A_dial_that_failed_after_Twilio_made_the_call_is_not_counted_as_failed()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));
        call.Progress("o1", LegCallStatus.Initiated);

        var decision = call.Apply(new DialFailed("o1"));

        Assert.False(decision.Changed);
        Assert.Empty(decision.Effects);
        Assert.Equal(CallPhase.Offered, call.Session.Phase);
    }

    [Fact]
    public void A_leg_answering_after_the_customer_left_is_hung_up_and_its_agent_freed_when_it_ends()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));
        call.Progress("o1", LegCallStatus.Ringing);
        call.Apply(new CustomerLeft());
        call.Single<CancelLeg>();

        call.Progress("o1", LegCallStatus.InProgress);
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        call.None<AgentInCall>();

        call.Progress("o1", LegCallStatus.Completed);
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
    }

    [Fact]
    public void A_missed_callback_is_made_good_by_the_next_one()
    {
        // Only the completed callback of the consultant arrives: the transfer still fails, the owner still keeps the customer.
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));

        call.Apply(new LegProgress("t1", CallUnderTest.CallSidOf("t1"), LegCallStatus.NoAnswer));

        Assert.Equal(TransferFailure.NoAnswer, call.Session.Transfer!.Failure);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        call.Single<FreeAgent>();
    }

    [Fact]
    public void A_conference_event_naming_a_call_of_none_of_the_agents_legs_changes_nothing()
    {
        var call = CallUnderTest.Connected();

        var decision = call.Apply(new AgentLeft("alice", "CA0000000000000000000000000000dead", CallUnderTest.ConferenceSid));

        Assert.False(decision.Changed);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
    }

    [Fact]
    public void A_customer_taken_off_hold_with_no_agent_to_talk_to_is_held_again()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new HoldRequested("alice", Hold: true));
        call.Apply(new HoldRequested("alice", Hold: false));
        call.Left("o1");
        call.Single<HoldCustomer>();

        // The resume was carried out after the hold that followed it.
        call.CustomerHold(onHold: true);
        call.CustomerHold(onHold: false);

        call.Single<HoldCustomer>();
        Assert.True(call.Session.Customer.OnHold);
    }
}
