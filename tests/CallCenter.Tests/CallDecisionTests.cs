using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>Each decision of the product's promise, in the order Twilio usually delivers, with no infrastructure.</summary>
public sealed class CallDecisionTests
{
    [Fact]
    public void An_offered_agent_is_dialed_as_owner()
    {
        var call = new CallUnderTest();

        call.Apply(new AgentOffered("o1", "alice"));

        Assert.Equal(CallPhase.Offered, call.Session.Phase);
        Assert.Equal(new DialAgent("o1", "alice", AgentRole.Owner), call.Single<DialAgent>());
        Assert.Equal(["alice"], call.Single<NotifyAgents>().AgentIds);
    }

    [Fact]
    public void The_owner_answering_connects_the_customer()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));
        call.Progress("o1", LegCallStatus.Ringing);
        call.Progress("o1", LegCallStatus.InProgress);
        Assert.Equal(ContactEventKind.Answered, Assert.Single(call.Last.Happened).Kind);
        call.Joined("o1");

        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Equal("o1", call.Session.OwnerLegId);
        Assert.Equal(LegStatus.Joined, call.Session.Owner!.Status);
        Assert.NotNull(call.Session.ConnectedAt);
        Assert.Equal(CallUnderTest.ConferenceSid, call.Session.Customer.ConferenceSid);
        Assert.Empty(call.Last.Happened);
    }

    [Theory]
    [InlineData(LegCallStatus.Busy)]
    [InlineData(LegCallStatus.NoAnswer)]
    [InlineData(LegCallStatus.Failed)]
    public void A_missed_offer_puts_the_customer_back_at_the_front_and_the_agent_away(LegCallStatus status)
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));

        call.Misses("o1", status);

        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Null(call.Session.OwnerLegId);
        Assert.Equal(new FreeAgent("alice", "o1", Away: true), call.Single<FreeAgent>());
        call.Single<OfferToNextAgent>();
        call.None<HoldCustomer>();
    }

    [Fact]
    public void A_call_s_first_callback_is_numbered_0_and_counts_whichever_it_is()
    {
        // Ringing first: the leg learns its call from it, as when the dial's own answer was lost.
        var rung = new CallUnderTest();
        rung.Apply(new AgentOffered("o1", "alice"));
        rung.Apply(new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.Ringing, Sequence: 0));
        Assert.Equal((CallUnderTest.CallSidOf("o1"), LegStatus.Ringing), (rung.Session.Leg("o1")!.CallSid, rung.Session.Leg("o1")!.Status));

        // A softphone that cannot be reached: the call's end is its only callback.
        var unreachable = new CallUnderTest();
        unreachable.Apply(new AgentOffered("o1", "alice"));
        unreachable.Apply(new LegProgress("o1", CallUnderTest.CallSidOf("o1"), LegCallStatus.Failed, Sequence: 0));
        Assert.Equal(LegEnd.Failed, unreachable.Session.Leg("o1")!.End);
        Assert.Equal(new FreeAgent("alice", "o1", Away: true), unreachable.Single<FreeAgent>());
        unreachable.Single<OfferToNextAgent>();
    }

    [Fact]
    public void A_dial_Twilio_would_not_make_frees_the_agent_without_blame_and_offers_the_customer_again()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));

        call.Apply(new DialFailed("o1"));

        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
        call.Single<OfferToNextAgent>();
        Assert.Equal(LegEnd.DialFailed, call.Session.Leg("o1")!.End);
    }

    [Fact]
    public void Every_agent_leg_is_dialed_and_no_agent_leaving_ends_the_call()
    {
        var call = CallUnderTest.Consulting();
        var effects = new List<SessionEffect>();

        effects.AddRange(call.Apply(new LeaveRequested("bob")).Effects);
        effects.AddRange(call.Hangs("t1"));
        effects.AddRange(call.Apply(new TransferRequested("alice", "carol", "t2")).Effects);
        effects.AddRange(call.Answers("t2").Effects);
        effects.AddRange(call.Apply(new LeaveRequested("alice")).Effects);
        effects.AddRange(call.Hangs("o1"));

        Assert.DoesNotContain(effects, effect => effect is EndConference);
        Assert.NotEqual(CallPhase.Ended, call.Session.Phase);
    }

    [Fact]
    public void The_owner_leaving_while_the_consultant_is_in_completes_the_transfer()
    {
        var call = CallUnderTest.Consulting();
        Assert.Equal(TransferOutcome.Consulting, call.Session.Transfer!.Outcome);

        call.Apply(new LeaveRequested("alice"));

        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        Assert.Equal("t1", call.Session.OwnerLegId);
        Assert.Equal(AgentRole.Owner, call.Session.Leg("t1")!.Role);
        Assert.Equal(TransferOutcome.Completed, call.Session.Transfer!.Outcome);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Equal(ContactEventKind.TransferCompleted, Assert.Single(call.Last.Happened).Kind);

        var afterLeaving = call.Hangs("o1");
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), Assert.Single(afterLeaving.OfType<FreeAgent>()));
        Assert.DoesNotContain(afterLeaving, effect => effect is HoldCustomer or OfferToNextAgent);
        Assert.Equal("t1", call.Session.OwnerLegId);
    }

    [Fact]
    public void The_consultant_leaving_hands_the_customer_back_off_hold()
    {
        var call = CallUnderTest.Consulting();
        call.Apply(new HoldRequested("alice", Hold: true));
        call.CustomerHold(onHold: true);

        call.Apply(new LeaveRequested("bob"));

        Assert.Equal(new CompleteLeg("t1", CallUnderTest.CallSidOf("t1")), call.Single<CompleteLeg>());
        call.Single<ResumeCustomer>();
        Assert.Equal((TransferOutcome.Failed, TransferFailure.Left), (call.Session.Transfer!.Outcome, call.Session.Transfer.Failure));
        Assert.Equal("o1", call.Session.OwnerLegId);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Contains("alice", call.Single<NotifyAgents>().AgentIds);
        Assert.Contains("bob", call.Single<NotifyAgents>().AgentIds);

        var afterLeaving = call.Hangs("t1");
        Assert.Equal(new FreeAgent("bob", "t1", Away: false), Assert.Single(afterLeaving.OfType<FreeAgent>()));
        Assert.Equal(TransferFailure.Left, call.Session.Transfer.Failure);
    }

    [Fact]
    public void The_consultant_dropping_during_the_consultation_fails_the_transfer_as_dropped()
    {
        var call = CallUnderTest.Consulting();

        call.Left("t1");

        Assert.Equal((TransferOutcome.Failed, TransferFailure.Dropped), (call.Session.Transfer!.Outcome, call.Session.Transfer.Failure));
        Assert.Equal("o1", call.Session.OwnerLegId);
        call.None<EndConference>();
        call.None<OfferToNextAgent>();
    }

    [Theory]
    [InlineData(LegCallStatus.Busy, TransferFailure.Declined)]
    [InlineData(LegCallStatus.NoAnswer, TransferFailure.NoAnswer)]
    [InlineData(LegCallStatus.Failed, TransferFailure.Failed)]
    public void A_consultant_who_does_not_answer_fails_the_transfer_and_the_owner_keeps_the_customer(LegCallStatus status, TransferFailure failure)
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Apply(new HoldRequested("alice", Hold: true));

        call.Misses("t1", status);

        Assert.Equal((TransferOutcome.Failed, failure), (call.Session.Transfer!.Outcome, call.Session.Transfer.Failure));
        Assert.Equal(new FreeAgent("bob", "t1", Away: true), call.Single<FreeAgent>());
        call.Single<ResumeCustomer>();
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
    }

    [Fact]
    public void The_owner_leaving_while_the_consultant_rings_makes_a_blind_transfer()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Progress("t1", LegCallStatus.Ringing);

        call.Apply(new LeaveRequested("alice"));

        Assert.Equal(CallPhase.BlindTransfer, call.Session.Phase);
        call.Single<HoldCustomer>();
        Assert.True(call.Session.Transfer!.Blind);
        Assert.Null(call.Session.OwnerLegId);

        call.Answers("t1");

        Assert.Equal("t1", call.Session.OwnerLegId);
        Assert.Equal(TransferOutcome.Completed, call.Session.Transfer!.Outcome);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.False(call.Session.Customer.OnHold);
    }

    [Fact]
    public void The_consultant_answering_takes_the_customer_off_hold_in_a_blind_transfer()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Apply(new LeaveRequested("alice"));

        call.Progress("t1", LegCallStatus.InProgress);

        call.Single<ResumeCustomer>();
        Assert.Equal(new AgentInCall("bob", "t1"), call.Single<AgentInCall>());
    }

    [Fact]
    public void A_failed_blind_transfer_puts_the_customer_at_the_front_of_the_line_still_on_hold()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Apply(new LeaveRequested("alice"));

        call.Misses("t1", LegCallStatus.NoAnswer);

        call.Single<OfferToNextAgent>();
        call.None<ResumeCustomer>();
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.True(call.Session.Customer.OnHold);
        Assert.Equal(TransferFailure.NoAnswer, call.Session.Transfer!.Failure);
    }

    [Fact]
    public void The_owner_dropping_with_no_transfer_holds_the_customer_for_the_next_agent()
    {
        var call = CallUnderTest.Connected();

        call.Left("o1");

        call.Single<HoldCustomer>();
        call.Single<OfferToNextAgent>();
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);

        call.Apply(new AgentOffered("o2", "carol"));
        call.Progress("o2", LegCallStatus.Ringing);
        call.Progress("o2", LegCallStatus.InProgress);

        call.Single<ResumeCustomer>();
        call.Joined("o2");
        Assert.Equal("o2", call.Session.OwnerLegId);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
    }

    [Fact]
    public void The_owner_returning_the_customer_to_the_queue_holds_them_at_its_front_for_the_next_agent()
    {
        var call = CallUnderTest.Connected();

        var decision = call.Apply(new ReturnToQueueRequested("alice"));

        Assert.Null(decision.Refusal);
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        call.Single<HoldCustomer>();
        call.Single<OfferToNextAgent>();
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Null(call.Session.OwnerLegId);
        Assert.True(call.Session.Customer.HeldForAgent);

        // Alice's leg completes: she is free, not blamed, and the customer is not offered twice.
        var ended = call.Hangs("o1");
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), Assert.Single(ended.OfType<FreeAgent>()));
        Assert.Empty(ended.OfType<OfferToNextAgent>());

        call.Apply(new AgentOffered("o2", "carol"));
        call.Answers("o2");
        Assert.Equal("o2", call.Session.OwnerLegId);
        Assert.False(call.Session.Customer.OnHold);
    }

    [Fact]
    public void A_transfer_to_the_next_free_colleague_waits_in_the_priority_line_and_rings_the_colleague_routing_finds()
    {
        var call = CallUnderTest.Connected();

        call.Apply(new TransferRequested("alice", null, null, "Billing question"));

        call.Single<FindColleague>();
        Assert.Empty(call.Effects.OfType<DialAgent>());
        Assert.Equal(new Transfer("alice", null, null, TransferOutcome.Waiting, Note: "Billing question", AskedAt: call.Now), call.Session.Transfer);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Equal("A transfer is already under way.", call.Apply(new TransferRequested("alice", null, null)).Refusal?.Message);
        Assert.Equal(RefusalKind.Conflict, call.Apply(new ReturnToQueueRequested("alice")).Refusal?.Kind);

        call.Apply(new ColleagueFound("t1", "bob"));

        Assert.Equal(new DialAgent("t1", "bob", AgentRole.Consultant), call.Single<DialAgent>());
        Assert.Equal((CallPhase.Consulting, TransferOutcome.Ringing, "bob"), (call.Session.Phase, call.Session.Transfer!.Outcome, call.Session.Transfer.ToAgentId));
        Assert.Equal("Billing question", call.Session.Transfer.Note);

        // A colleague found twice (a second routing answer) is let go.
        call.Apply(new ColleagueFound("t2", "carol"));
        Assert.Equal(new FreeAgent("carol", "t2", Away: false), call.Single<FreeAgent>());
    }

    [Fact]
    public void Cancelling_a_waiting_transfer_takes_it_out_of_the_priority_line_and_a_colleague_found_late_is_freed()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", null, null));

        call.Apply(new CancelTransferRequested("alice"));

        call.Single<LeaveLine>();
        Assert.Equal((CallPhase.Connected, TransferOutcome.Cancelled), (call.Session.Phase, call.Session.Transfer!.Outcome));

        call.Apply(new ColleagueFound("t1", "bob"));
        Assert.Equal(new FreeAgent("bob", "t1", Away: false), call.Single<FreeAgent>());
        Assert.Empty(call.Effects.OfType<DialAgent>());
    }

    [Fact]
    public void An_owner_who_leaves_while_the_transfer_waits_leaves_the_customer_on_hold_music_for_the_first_colleague_freed()
    {
        var call = CallUnderTest.Connected();

        call.Apply(new TransferRequested("alice", null, null, AndLeave: true));

        call.Single<FindColleague>();
        call.Single<HoldCustomer>();
        Assert.Empty(call.Effects.OfType<OfferToNextAgent>());
        Assert.Equal((CallPhase.BlindTransfer, true), (call.Session.Phase, call.Session.Transfer!.Blind));

        call.Hangs("o1");
        call.Apply(new ColleagueFound("t1", "bob"));
        Assert.Equal(CallPhase.BlindTransfer, call.Session.Phase);
        call.Progress("t1", LegCallStatus.InProgress);

        call.Single<ResumeCustomer>();
        Assert.Equal(("t1", TransferOutcome.Completed), (call.Session.OwnerLegId, call.Session.Transfer!.Outcome));
    }

    [Fact]
    public void A_customer_who_hangs_up_while_their_transfer_waits_leaves_the_priority_line()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", null, null));

        call.Apply(new CustomerLeft());

        call.Single<LeaveLine>();
        Assert.True(call.Session.IsEnded);
    }

    [Fact]
    public void An_agent_whose_page_goes_before_the_dial_is_not_rung_and_the_caller_goes_to_the_next_agent_at_once()
    {
        var call = new CallUnderTest();
        call.Apply(new CustomerJoined(CallUnderTest.ConferenceSid));
        call.Apply(new AgentOffered("o1", "alice"));

        call.Apply(new AgentGone("alice", "o1"));

        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
        call.Single<OfferToNextAgent>();
        call.None<CancelLeg>();
        Assert.Equal((CallPhase.Waiting, (string?)null), (call.Session.Phase, call.Session.OwnerLegId));
        Assert.Equal((LegStatus.Ended, LegEnd.Withdrawn), (call.Session.Leg("o1")!.Status, call.Session.Leg("o1")!.End));
    }

    [Fact]
    public void An_agent_whose_page_goes_while_their_softphone_rings_has_the_call_cancelled_and_the_caller_offered_on()
    {
        var call = new CallUnderTest();
        call.Apply(new CustomerJoined(CallUnderTest.ConferenceSid));
        call.Apply(new AgentOffered("o1", "alice"));
        call.Progress("o1", LegCallStatus.Ringing);

        call.Apply(new AgentGone("alice", "o1"));

        Assert.Equal(new CancelLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CancelLeg>());
        call.Single<OfferToNextAgent>();
        // Its cancellation, when Twilio reports it, frees alice and offers nobody twice; a late answer is hung up.
        var cancelled = call.Progress("o1", LegCallStatus.Canceled);
        Assert.Empty(cancelled.Effects.OfType<OfferToNextAgent>());
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), Assert.Single(cancelled.Effects.OfType<FreeAgent>()));
    }

    [Fact]
    public void A_consultant_whose_page_goes_while_rung_fails_the_transfer_and_the_owner_keeps_the_customer_but_an_answered_leg_stays()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));

        call.Apply(new AgentGone("bob", "t1"));

        Assert.Equal((TransferOutcome.Failed, TransferFailure.Offline), (call.Session.Transfer!.Outcome, call.Session.Transfer.Failure));
        Assert.Equal(CallPhase.Connected, call.Session.Phase);

        call.Apply(new AgentGone("alice", "o1"));
        Assert.False(call.Last.Changed);
        Assert.Equal("o1", call.Session.OwnerLegId);
    }

    [Fact]
    public void A_cold_transfer_leaves_the_customer_on_hold_music_until_the_colleague_answers_and_takes_them()
    {
        var call = CallUnderTest.Connected();

        call.Apply(new TransferRequested("alice", "bob", "t1", "Wants a refund", AndLeave: true));

        Assert.Equal(new DialAgent("t1", "bob", AgentRole.Consultant), call.Single<DialAgent>());
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        call.Single<HoldCustomer>();
        Assert.Equal(CallPhase.BlindTransfer, call.Session.Phase);
        Assert.Null(call.Session.OwnerLegId);
        Assert.Equal(new Transfer("alice", "bob", "t1", TransferOutcome.Ringing, Blind: true, Note: "Wants a refund", AskedAt: call.Now), call.Session.Transfer);

        var aliceGone = call.Hangs("o1");
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), Assert.Single(aliceGone.OfType<FreeAgent>()));
        call.Progress("t1", LegCallStatus.Ringing);
        call.Progress("t1", LegCallStatus.InProgress);

        call.Single<ResumeCustomer>();
        Assert.Equal("t1", call.Session.OwnerLegId);
        Assert.Equal(TransferOutcome.Completed, call.Session.Transfer!.Outcome);
        Assert.Equal("Wants a refund", call.Session.Transfer.Note);
    }

    [Fact]
    public void A_cold_transfer_the_colleague_declines_puts_the_customer_at_the_front_of_the_queue()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1", AndLeave: true));

        call.Misses("t1", LegCallStatus.Busy);

        call.Single<OfferToNextAgent>();
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Equal((TransferOutcome.Failed, TransferFailure.Declined), (call.Session.Transfer!.Outcome, call.Session.Transfer.Failure));
        Assert.True(call.Session.Customer.OnHold);
    }

    [Fact]
    public void Only_the_owner_with_no_transfer_under_way_may_return_the_customer_to_the_queue()
    {
        var call = CallUnderTest.Consulting();

        Assert.Equal(RefusalKind.Conflict, call.Apply(new ReturnToQueueRequested("bob")).Refusal!.Kind);
        var underWay = call.Apply(new ReturnToQueueRequested("alice"));
        Assert.Equal(RefusalKind.Conflict, underWay.Refusal!.Kind);
        Assert.Equal("A transfer is under way: cancel it first, or leave to hand the customer over.", underWay.Refusal.Message);
        Assert.Equal(RefusalKind.NotInCall, call.Apply(new ReturnToQueueRequested("carol")).Refusal!.Kind);
        Assert.Empty(call.Last.Effects);
        Assert.Equal(CallPhase.Consulting, call.Session.Phase);

        // Asked twice, the second changes nothing.
        var connected = CallUnderTest.Connected();
        connected.Apply(new ReturnToQueueRequested("alice"));
        var again = connected.Apply(new ReturnToQueueRequested("alice"));
        Assert.NotNull(again.Refusal);
        Assert.Empty(again.Effects);
    }

    [Fact]
    public void Any_owner_may_transfer_again_and_every_hop_follows_the_same_rules()
    {
        var call = CallUnderTest.Consulting();
        call.Apply(new LeaveRequested("alice"));
        call.Hangs("o1");

        call.Apply(new TransferRequested("bob", "carol", "t2"));
        Assert.Equal(CallPhase.Consulting, call.Session.Phase);
        call.Answers("t2");
        call.Apply(new LeaveRequested("carol"));
        Assert.Equal(("t1", TransferFailure.Left), (call.Session.OwnerLegId, call.Session.Transfer!.Failure));
        call.Hangs("t2");

        call.Apply(new TransferRequested("bob", "dave", "t3"));
        call.Answers("t3");
        call.Apply(new LeaveRequested("bob"));
        call.Hangs("t1");

        Assert.Equal("t3", call.Session.OwnerLegId);
        Assert.Equal(("bob", "dave", TransferOutcome.Completed),
            (call.Session.Transfer!.FromAgentId, call.Session.Transfer.ToAgentId, call.Session.Transfer.Outcome));
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
    }

    [Fact]
    public void Cancelling_a_ringing_transfer_cancels_the_leg_and_the_owner_keeps_the_customer_off_hold()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Apply(new HoldRequested("alice", Hold: true));
        call.Progress("t1", LegCallStatus.Ringing);

        call.Apply(new CancelTransferRequested("alice"));

        Assert.Equal(new CancelLeg("t1", CallUnderTest.CallSidOf("t1")), call.Single<CancelLeg>());
        call.Single<ResumeCustomer>();
        Assert.Equal(TransferOutcome.Cancelled, call.Session.Transfer!.Outcome);
        Assert.Equal(CallPhase.Connected, call.Session.Phase);

        call.Progress("t1", LegCallStatus.Canceled);
        Assert.Equal(new FreeAgent("bob", "t1", Away: false), call.Single<FreeAgent>());
        Assert.Equal(TransferOutcome.Cancelled, call.Session.Transfer!.Outcome);
    }

    [Fact]
    public void Cancelling_before_the_dial_was_made_withdraws_the_leg_and_frees_the_colleague_at_once()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));

        call.Apply(new CancelTransferRequested("alice"));

        Assert.Equal(new FreeAgent("bob", "t1", Away: false), call.Single<FreeAgent>());
        Assert.Equal(LegEnd.Withdrawn, call.Session.Leg("t1")!.End);

        // The dial's answer was lost on its way: the call exists after all, and is cancelled.
        call.Progress("t1", LegCallStatus.Initiated);
        Assert.Equal(new CancelLeg("t1", CallUnderTest.CallSidOf("t1")), call.Single<CancelLeg>());
    }

    [Fact]
    public void A_consultant_who_answers_as_the_owner_cancels_is_removed_and_the_owner_keeps_the_customer()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Progress("t1", LegCallStatus.Ringing);
        call.Apply(new CancelTransferRequested("alice"));

        call.Progress("t1", LegCallStatus.InProgress);

        Assert.Equal(new CompleteLeg("t1", CallUnderTest.CallSidOf("t1")), call.Single<CompleteLeg>());
        call.None<AgentInCall>();
        call.Joined("t1");
        call.Left("t1");
        Assert.Equal(new FreeAgent("bob", "t1", Away: false), call.Single<FreeAgent>());
        Assert.Equal(("o1", TransferOutcome.Cancelled), (call.Session.OwnerLegId, call.Session.Transfer!.Outcome));
    }

    [Fact]
    public void The_customer_hanging_up_ends_or_cancels_every_other_leg_and_leaves_the_line()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));
        call.Progress("t1", LegCallStatus.Ringing);

        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));

        Assert.Equal(CallPhase.Ended, call.Session.Phase);
        call.Single<LeaveLine>();
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        Assert.Equal(new CancelLeg("t1", CallUnderTest.CallSidOf("t1")), call.Single<CancelLeg>());
        call.None<EndConference>();

        var freed = call.Hangs("o1").Concat(call.Progress("t1", LegCallStatus.Canceled).Effects).OfType<FreeAgent>();
        Assert.Equal([new FreeAgent("alice", "o1", false), new FreeAgent("bob", "t1", false)], freed);
    }

    [Fact]
    public void A_customer_who_hangs_up_in_line_frees_the_agent_not_yet_dialed()
    {
        var call = new CallUnderTest();
        call.Apply(new AgentOffered("o1", "alice"));

        call.Apply(new CustomerLeft());

        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
        call.Single<LeaveLine>();
        Assert.Equal(LegEnd.Withdrawn, call.Session.Leg("o1")!.End);
    }

    [Fact]
    public void An_agent_offered_a_customer_who_is_gone_is_free_again()
    {
        var call = new CallUnderTest();
        call.Apply(new CustomerLeft());

        call.Apply(new AgentOffered("o1", "alice"));

        Assert.False(call.Last.Changed);
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Single<FreeAgent>());
        call.None<DialAgent>();
    }

    [Fact]
    public void End_call_by_the_owner_ends_the_conference_and_every_leg()
    {
        var call = CallUnderTest.Consulting();

        call.Apply(new EndRequested("alice"));

        call.Single<EndConference>();
        Assert.Equal(("alice", CallPhase.Ended), (call.Session.EndedBy, call.Session.Phase));
        Assert.Equal(2, call.Effects.OfType<CompleteLeg>().Count());
    }

    [Fact]
    public void Only_the_owner_can_end_the_call()
    {
        var call = CallUnderTest.Consulting();

        var decision = call.Apply(new EndRequested("bob"));

        Assert.Equal(RefusalKind.Conflict, decision.Refusal!.Kind);
        Assert.Equal("Only the agent who has the customer can end the call.", decision.Refusal.Message);
        Assert.Empty(decision.Effects);
        Assert.Equal(CallPhase.Consulting, call.Session.Phase);
    }

    [Fact]
    public void The_owner_cannot_leave_the_customer_alone()
    {
        var call = CallUnderTest.Connected();

        var decision = call.Apply(new LeaveRequested("alice"));

        Assert.Equal(RefusalKind.Conflict, decision.Refusal!.Kind);
        Assert.Empty(decision.Effects);
    }

    [Fact]
    public void An_agent_not_in_the_call_is_refused()
    {
        var call = CallUnderTest.Connected();

        foreach (var action in new SessionEvent[]
        {
            new HoldRequested("mallory", true), new LeaveRequested("mallory"), new EndRequested("mallory"), new CancelTransferRequested("mallory"),
        })
        {
            Assert.Equal(RefusalKind.NotInCall, call.Apply(action).Refusal?.Kind);
            Assert.False(call.Last.Changed);
        }
    }

    [Fact]
    public void A_transfer_refused_frees_the_colleague_routing_took_for_it()
    {
        var call = CallUnderTest.Connected();
        call.Apply(new TransferRequested("alice", "bob", "t1"));

        var decision = call.Apply(new TransferRequested("alice", "carol", "t2"));

        Assert.Equal("A transfer is already under way.", decision.Refusal!.Message);
        Assert.Equal(new FreeAgent("carol", "t2", Away: false), call.Single<FreeAgent>());
        Assert.Null(call.Session.Leg("t2"));
    }

    [Fact]
    public void Hold_and_resume_go_to_Twilio_and_the_hold_state_follows_the_newest_event()
    {
        var call = CallUnderTest.Connected();

        call.Apply(new HoldRequested("alice", Hold: true));
        call.Single<HoldCustomer>();
        call.Apply(new HoldRequested("alice", Hold: false));
        call.Single<ResumeCustomer>();

        call.Apply(new CustomerHoldChanged(OnHold: false, Sequence: 7));
        call.Apply(new CustomerHoldChanged(OnHold: true, Sequence: 6));

        Assert.False(call.Session.Customer.OnHold);
        Assert.False(call.Last.Changed);
    }
}
