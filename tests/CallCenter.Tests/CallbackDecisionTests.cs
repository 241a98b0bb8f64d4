using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>A callback that keeps the caller's place: asked for, rung for, answered, missed, retried, given up.</summary>
public sealed class CallbackDecisionTests
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(2);
    private const string CallbackCall = "CA000000000000000000000000000cb01";
    private const string SecondCall = "CA000000000000000000000000000cb02";

    [Fact]
    public void Pressing_1_keeps_the_callers_place_and_their_hanging_up_ends_nothing()
    {
        var call = Waiting();

        call.Apply(new CallbackRequested(2, RetryDelay));

        Assert.Equal(CallbackStatus.Waiting, call.Session.Callback!.Status);
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Equal(ContactEventKind.CallbackRequested, Assert.Single(call.Last.Happened).Kind);
        call.None<LeaveLine>();

        // Their call ends: the line's conference goes, and Twilio (or reconciliation) says so.
        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));
        call.Apply(new CustomerLeft());
        Assert.False(call.Session.IsEnded);
        call.None<LeaveLine>();
        Assert.Null(call.Session.Customer.ConferenceSid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("anonymous")]
    [InlineData("+266696687")]
    [InlineData("5550100")]
    [InlineData("client:alice")]
    public void A_number_that_cannot_be_called_back_is_refused_and_nothing_changes(string? number)
    {
        var session = CallSession.Start(CallUnderTest.CustomerCallSid, number, DateTimeOffset.UnixEpoch);

        var decision = CallDecisions.Decide(session, new CallbackRequested(2, RetryDelay), DateTimeOffset.UnixEpoch);

        Assert.Equal(RefusalKind.Conflict, decision.Refusal!.Kind);
        Assert.False(decision.Changed);
        Assert.Null(decision.Session.Callback);
    }

    [Fact]
    public void A_caller_already_being_offered_to_an_agent_stays_on_the_line()
    {
        var call = Waiting();
        call.Apply(new AgentOffered("o1", "alice"));

        var decision = call.Apply(new CallbackRequested(2, RetryDelay));

        Assert.NotNull(decision.Refusal);
        Assert.Null(call.Session.Callback);
    }

    [Fact]
    public void The_agent_is_rung_first_and_the_customer_called_once_they_accept_then_it_is_a_call_like_any_other()
    {
        var call = CallbackAccepted();

        Assert.Equal(new DialCustomer("o1", "+15550100"), call.Single<DialCustomer>());
        Assert.Equal(CallPhase.Connected, call.Session.Phase);
        Assert.Null(call.Session.ConnectedAt);
        Assert.Equal(CallbackStatus.Calling, call.Session.Callback!.Status);
        Assert.Equal(1, call.Session.Callback.Attempts);
        // Nobody to hold or hand on until the customer answers.
        Assert.Equal(RefusalKind.Conflict, call.Apply(new HoldRequested("alice", true)).Refusal!.Kind);
        Assert.Equal(RefusalKind.Conflict, call.Apply(new TransferRequested("alice", null, null)).Refusal!.Kind);

        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.Ringing, 0));
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.InProgress, 1));
        Assert.Equal([ContactEventKind.Answered, ContactEventKind.CallbackCompleted], call.Last.Happened.Select(e => e.Kind));
        Assert.Equal(CallbackStatus.Answered, call.Session.Callback!.Status);
        Assert.NotNull(call.Session.ConnectedAt);
        Assert.Equal(CallbackCall, call.Session.CustomerCallSid);

        call.Apply(new CustomerJoined("CF0000000000000000000000000000cf02"));
        Assert.Null(call.Apply(new HoldRequested("alice", true)).Refusal);
        call.Single<HoldCustomer>();

        // The line's old conference ending says nothing of the customer now; their hanging up ends the call.
        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));
        Assert.False(call.Session.IsEnded);
        call.Apply(new CustomerLeft("CF0000000000000000000000000000cf02"));
        Assert.True(call.Session.IsEnded);
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
    }

    [Theory]
    [InlineData(LegCallStatus.Busy)]
    [InlineData(LegCallStatus.NoAnswer)]
    [InlineData(LegCallStatus.Failed)]
    public void A_callback_not_answered_frees_the_agent_waits_the_retry_delay_and_goes_back_to_the_front(LegCallStatus missed)
    {
        var call = CallbackAccepted();

        // Nothing rang (or it was not asked about): the call's end is its first and only callback, numbered 0 as Twilio numbers it.
        call.Apply(new CustomerCallProgress("o1", CallbackCall, missed, 0));

        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Null(call.Session.OwnerLegId);
        Assert.Equal(new CompleteLeg("o1", CallUnderTest.CallSidOf("o1")), call.Single<CompleteLeg>());
        Assert.Equal(CallbackStatus.Waiting, call.Session.Callback!.Status);
        Assert.Equal(call.Now + RetryDelay, call.Session.Callback.RetryAt);
        call.None<OfferToNextAgent>();

        // The agent's leg ends: they are free, and not blamed for the customer's miss.
        Assert.Equal(new FreeAgent("alice", "o1", Away: false), call.Hangs("o1").OfType<FreeAgent>().Single());

        // Not due yet: no agent is taken for it, and an agent routing took anyway is let go.
        call.Apply(new CallbackDue());
        call.None<OfferToNextAgent>();
        call.Apply(new AgentOffered("o2", "bob"));
        Assert.Equal(new FreeAgent("bob", "o2", Away: false), call.Single<FreeAgent>());
        Assert.Null(call.Session.OwnerLegId);
    }

    [Fact]
    public void The_last_attempt_missed_ends_the_entry_as_callback_failed_and_frees_the_agent()
    {
        var call = CallbackAccepted();
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.NoAnswer, 1));
        call.Hangs("o1");

        call.Pass(RetryDelay);
        call.Apply(new CallbackDue());
        call.Single<OfferToNextAgent>();
        Assert.Null(call.Session.Callback!.RetryAt);
        call.Apply(new AgentOffered("o2", "bob"));
        call.Progress("o2", LegCallStatus.Ringing);
        call.Progress("o2", LegCallStatus.InProgress);
        Assert.Equal(new DialCustomer("o2", "+15550100"), call.Single<DialCustomer>());
        Assert.Equal(2, call.Session.Callback!.Attempts);

        call.Apply(new CustomerCallProgress("o2", SecondCall, LegCallStatus.Busy, 1));

        Assert.True(call.Session.IsEnded);
        Assert.Equal(CallbackStatus.Failed, call.Session.Callback!.Status);
        Assert.Equal(ContactEventKind.CallbackFailed, Assert.Single(call.Last.Happened).Kind);
        call.Single<LeaveLine>();
        Assert.Equal(new FreeAgent("bob", "o2", Away: false), call.Hangs("o2").OfType<FreeAgent>().Single());
    }

    [Fact]
    public void A_callback_Twilio_would_not_create_counts_as_a_missed_attempt()
    {
        var call = CallbackAccepted();

        call.Apply(new CustomerDialFailed("o1"));

        Assert.Equal(CallbackStatus.Waiting, call.Session.Callback!.Status);
        Assert.NotNull(call.Session.Callback.RetryAt);
        call.Single<CompleteLeg>();
    }

    [Fact]
    public void The_agent_going_before_the_customer_answers_withdraws_the_customers_call_and_puts_the_entry_back_at_the_front_uncounted()
    {
        var call = CallbackAccepted();
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.Ringing, 1));

        var effects = call.Hangs("o1");

        Assert.Contains(new CancelLeg("o1", CallbackCall), effects);
        Assert.Contains(new OfferToNextAgent(), effects);
        Assert.Contains(new FreeAgent("alice", "o1", Away: false), effects);
        Assert.Equal(CallPhase.Waiting, call.Session.Phase);
        Assert.Equal(0, call.Session.Callback!.Attempts);
        Assert.False(call.Session.IsEnded);

        // The withdrawn call answering late reaches nobody.
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.InProgress, 2));
        Assert.Equal(new CompleteLeg("o1", CallbackCall), call.Single<CompleteLeg>());
        Assert.Equal(CallbackStatus.Waiting, call.Session.Callback!.Status);
    }

    [Fact]
    public void End_call_while_the_customer_is_called_back_cancels_their_call()
    {
        var call = CallbackAccepted();
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.Ringing, 1));

        call.Apply(new EndRequested("alice"));

        Assert.True(call.Session.IsEnded);
        Assert.Contains(new CancelLeg("o1", CallbackCall), call.Effects);
    }

    [Fact]
    public void A_second_call_for_the_same_attempt_is_hung_up_and_old_progress_changes_nothing()
    {
        var call = CallbackAccepted();
        call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.Ringing, 2));

        call.Apply(new CustomerCallProgress("o1", SecondCall, LegCallStatus.InProgress, 1));
        Assert.Equal(new CompleteLeg("o1", SecondCall), call.Single<CompleteLeg>());

        Assert.False(call.Apply(new CustomerCallProgress("o1", CallbackCall, LegCallStatus.Initiated, 1)).Changed);
        Assert.Equal(CallbackStatus.Calling, call.Session.Callback!.Status);
    }

    [Fact]
    public void Taken_out_of_the_lines_conference_for_the_offer_again_the_caller_is_not_gone_and_is_found_in_the_conference_they_come_back_to()
    {
        const string Back = "CF0000000000000000000000000000cf03";
        var call = Waiting();

        Assert.Null(call.Apply(new CallbackOfferRepeated()).Refusal);
        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));
        Assert.False(call.Session.IsEnded);
        call.Apply(new CustomerJoined(Back));
        Assert.Equal(Back, call.Session.Customer.ConferenceSid);

        // An event of another conference than theirs says nothing about them; their own conference's end is their hang-up.
        call.Apply(new CustomerLeft("CF0000000000000000000000000000cf09"));
        Assert.False(call.Session.IsEnded);
        call.Apply(new CustomerLeft(Back));
        Assert.True(call.Session.IsEnded);
    }

    [Fact]
    public void No_offer_is_repeated_while_an_agent_is_rung_and_one_Twilio_did_not_carry_out_leaves_the_caller_in_their_conference()
    {
        var call = Waiting();
        call.Apply(new AgentOffered("o1", "alice"));
        Assert.NotNull(call.Apply(new CallbackOfferRepeated()).Refusal);

        call = Waiting();
        call.Apply(new CallbackOfferRepeated());
        call.Apply(new CallbackOfferNotMade());
        Assert.Equal(CallUnderTest.ConferenceSid, call.Session.Customer.ConferenceSid);
        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));
        Assert.True(call.Session.IsEnded);
    }

    /// <summary>A caller waiting in line in the line's conference (no agent yet).</summary>
    private static CallUnderTest Waiting()
    {
        var call = new CallUnderTest();
        call.Apply(new CustomerJoined(CallUnderTest.ConferenceSid));
        return call;
    }

    /// <summary>A caller who asked for a callback, whose turn came: alice (leg o1) accepted, and the customer is being called.</summary>
    private static CallUnderTest CallbackAccepted()
    {
        var call = Waiting();
        call.Apply(new CallbackRequested(2, RetryDelay));
        call.Apply(new CustomerLeft(CallUnderTest.ConferenceSid));
        call.Apply(new AgentOffered("o1", "alice"));
        call.Progress("o1", LegCallStatus.Ringing);
        call.Progress("o1", LegCallStatus.InProgress);
        return call;
    }
}
