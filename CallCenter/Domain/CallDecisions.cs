using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Domain;

/// <summary>
/// Every decision about a call, as one pure function of the session and an event. Twilio delivers callbacks out of order,
/// twice or never, so each decision is idempotent: an event a leg has already seen, or older than what it knows (by sequence
/// or by <see cref="LegStatus"/> order), changes nothing. The promise it keeps: only the customer hanging up, or the agent who
/// has the customer pressing End call, ends a call; every agent leg ends with its agent freed.
/// </summary>
public static class CallDecisions
{
    public static Decision Decide(CallSession session, SessionEvent @event, DateTimeOffset now)
    {
        var step = new Step(session, now);
        switch (@event)
        {
            case AgentOffered offered:
                Offer(step, offered);
                break;
            case LegProgress progress:
                Progress(step, progress);
                break;
            case DialFailed failed when step.Session.Leg(failed.LegId) is { IsLive: true, CallSid: null } leg:
                // A leg with a CallSid has a call, whatever the dial's answer said: it is not failed.
                End(step, leg, LegEnd.DialFailed);
                break;
            case AgentJoined joined:
                step.LearnConference(joined.ConferenceSid);
                Joined(step, joined);
                break;
            case AgentLeft left:
                step.LearnConference(left.ConferenceSid);
                if (step.Session.LegFor(left.CallSid, left.AgentId) is { IsLive: true } leftLeg)
                {
                    End(step, leftLeg with { CallSid = leftLeg.CallSid ?? left.CallSid }, LegEnd.Left);
                }

                break;
            case CustomerJoined customerJoined:
                step.LearnConference(customerJoined.ConferenceSid);
                break;
            case CustomerHoldChanged hold when hold.Sequence > step.Session.Customer.HoldSequence:
                HoldChanged(step, hold);
                break;
            case CustomerLeft customerLeft when IsCustomersConference(step.Session.Customer, customerLeft.ConferenceSid)
                && (customerLeft.CallSid is null || customerLeft.CallSid == step.Session.CustomerCallSid):
                step.LearnConference(customerLeft.ConferenceSid);
                if (!step.Session.IsEnded && step.Session.CustomerOnCall)
                {
                    // While a callback waits or rings there is no customer on a call to leave: their own call ended when they asked.
                    EndSession(step);
                }

                break;
            case CallbackRequested requested:
                RequestCallback(step, requested);
                break;
            case CustomerCallProgress progress:
                CallbackProgress(step, progress);
                break;
            case CustomerDialFailed failed when step.Session.Callback is { Status: CallbackStatus.Calling, CallSid: null } calling
                && calling.AttemptId == failed.AttemptId:
                CallbackMissed(step);
                break;
            case CallbackDue:
                CallbackComesDue(step);
                break;
            case CallbackOfferRepeated:
                RepeatCallbackOffer(step);
                break;
            case CallbackOfferNotMade when step.Session is { Customer: { ConferenceSid: null, PastConference: { } stillIn } customer, Callback: null }:
                step.Session = step.Session with { Customer = customer with { ConferenceSid = stillIn, PastConference = null } };
                break;
            case TransferRequested transfer:
                RequestTransfer(step, transfer);
                break;
            case ColleagueFound found:
                FoundColleague(step, found);
                break;
            case AgentGone gone:
                Gone(step, gone);
                break;
            case CancelTransferRequested cancel:
                CancelTransfer(step, cancel.AgentId);
                break;
            case HoldRequested hold:
                Hold(step, hold);
                break;
            case LeaveRequested leave:
                Leave(step, leave.AgentId);
                break;
            case EndRequested end:
                EndCall(step, end.AgentId);
                break;
            case ReturnToQueueRequested back:
                ReturnToQueue(step, back.AgentId);
                break;
            case CommandFailed failed when !step.Session.IsEnded:
                step.Session = step.Session with { Problem = failed.What };
                break;
        }

        if (@event is TransferRequested or CancelTransferRequested or HoldRequested or LeaveRequested or EndRequested or ReturnToQueueRequested)
        {
            // The agents acted on what they saw: an older problem is no news any more.
            step.Session = step.Session with { Problem = null };
        }

        return step.Finish();
    }

    /// <summary>
    /// Whether an event of this conference (none named: the customer's call itself) is about the conference the customer is in:
    /// not one they left for a callback offer, nor, once theirs is known, any other.
    /// </summary>
    private static bool IsCustomersConference(CustomerLeg customer, string? conferenceSid) =>
        conferenceSid is null || conferenceSid != customer.PastConference && (customer.ConferenceSid is null || customer.ConferenceSid == conferenceSid);

    private static void HoldChanged(Step step, CustomerHoldChanged hold)
    {
        var customer = step.Session.Customer with { OnHold = hold.OnHold, HoldSequence = hold.Sequence };
        // The time on hold is Twilio's: from the conference's hold to its unhold.
        customer = hold.OnHold
            ? customer with { HeldSince = customer.HeldSince ?? step.Now }
            : customer with { HeldSince = null, HeldFor = customer.HoldTime(step.Now) };
        if (!hold.OnHold && customer.HeldForAgent && !step.Session.IsEnded)
        {
            // Taken off hold with no agent to talk to (a resume carried out after the hold that followed it): held again.
            customer = customer with { OnHold = true };
            step.Effect(new HoldCustomer());
        }

        step.Session = step.Session with { Customer = customer };
    }

    private static void Offer(Step step, AgentOffered offered)
    {
        var session = step.Session;
        if (session.Leg(offered.LegId) is not null)
        {
            return;
        }

        if (session.Phase != CallPhase.Waiting || session.Callback is { RetryAt: { } retryAt } && retryAt > step.Now)
        {
            // Routing took an agent for a customer who no longer needs one (gone, already offered, or a missed callback not due
            // yet): the agent is free again.
            step.Effect(new FreeAgent(offered.AgentId, offered.LegId, Away: false));
            return;
        }

        var leg = new AgentLeg(offered.LegId, offered.AgentId, AgentRole.Owner, LegStatus.Requested, RequestedAt: step.Now);
        step.Session = session.WithLeg(leg) with { OwnerLegId = leg.Id, Phase = CallPhase.Offered };
        step.Record(ContactEventKind.Offered, leg.AgentId);
        step.Effect(new DialAgent(leg.Id, leg.AgentId, AgentRole.Owner));
    }

    private static void Progress(Step step, LegProgress progress)
    {
        if (step.Session.Leg(progress.LegId) is not { } leg
            || progress.Sequence is { } sequence && sequence <= leg.LastSequence
            || leg.CallSid is not null && leg.CallSid != progress.CallSid)
        {
            return;
        }

        var known = leg with { CallSid = progress.CallSid, LastSequence = progress.Sequence ?? leg.LastSequence };
        if (!leg.IsLive)
        {
            if (leg.CallSid is null)
            {
                step.Update(leg with { CallSid = progress.CallSid });
                if (!progress.Status.IsFinal())
                {
                    // The leg was given up before its call was known to exist (the dial's answer was lost): the call must not live on.
                    step.Effect(progress.Status == LegCallStatus.InProgress
                        ? new CompleteLeg(leg.Id, progress.CallSid)
                        : new CancelLeg(leg.Id, progress.CallSid));
                }
            }

            return;
        }

        switch (progress.Status)
        {
            case var final when final.IsFinal():
                End(step, known, final switch
                {
                    LegCallStatus.Busy => LegEnd.Busy,
                    LegCallStatus.NoAnswer => LegEnd.NoAnswer,
                    LegCallStatus.Failed => LegEnd.Failed,
                    LegCallStatus.Canceled => LegEnd.Canceled,
                    _ => LegEnd.Completed,
                });
                break;
            case LegCallStatus.InProgress when known.Status < LegStatus.Answered:
                step.Update(known with { Status = LegStatus.Answered });
                Arrived(step, step.Session.Leg(leg.Id)!);
                break;
            case var status when Rank(status) > known.Status && known.Status < LegStatus.Answered:
                step.Update(known with { Status = Rank(status) });
                break;
            default:
                // Old news; only a CallSid not known before is kept.
                if (leg.CallSid is null)
                {
                    step.Update(leg with { CallSid = progress.CallSid });
                }

                break;
        }
    }

    private static LegStatus Rank(LegCallStatus status) => status switch
    {
        LegCallStatus.Queued => LegStatus.Queued,
        LegCallStatus.Initiated => LegStatus.Initiated,
        LegCallStatus.Ringing => LegStatus.Ringing,
        LegCallStatus.InProgress => LegStatus.Answered,
        _ => LegStatus.Ended,
    };

    private static void Joined(Step step, AgentJoined joined)
    {
        if (step.Session.LegFor(joined.CallSid, joined.AgentId) is not { } leg)
        {
            return;
        }

        var known = leg with { CallSid = leg.CallSid ?? joined.CallSid };
        if (!leg.IsLive)
        {
            step.Update(known);
            if (leg.CallSid is null && joined.CallSid is not null)
            {
                step.Effect(new CompleteLeg(leg.Id, joined.CallSid));
            }

            return;
        }

        if (leg.Status >= LegStatus.Joined)
        {
            return;
        }

        step.Update(known with { Status = LegStatus.Joined });
        if (leg.Status < LegStatus.Answered)
        {
            Arrived(step, step.Session.Leg(leg.Id)!);
        }
    }

    /// <summary>A leg answered (or joined, whichever Twilio told first): the agent is with the customer, if the session still wants them.</summary>
    private static void Arrived(Step step, AgentLeg leg)
    {
        var session = step.Session;
        if (session.IsEnded || leg.Withdrawn)
        {
            if (leg.CallSid is not null)
            {
                step.Effect(new CompleteLeg(leg.Id, leg.CallSid));
            }

            return;
        }

        step.Effect(new AgentInCall(leg.AgentId, leg.Id));
        if (leg.Id == session.OwnerLegId && session.Callback is { Status: CallbackStatus.Waiting } callback)
        {
            // The agent took the callback: now the customer is called, and joins the agent's conference when they answer.
            step.Session = session with
            {
                Phase = CallPhase.Connected,
                Callback = callback with
                {
                    Status = CallbackStatus.Calling, Attempts = callback.Attempts + 1, AttemptId = leg.Id, CallSid = null, LastSequence = -1, RetryAt = null,
                },
            };
            step.Effect(new DialCustomer(leg.Id, session.Customer.Number!));
        }
        else if (leg.Id == session.OwnerLegId)
        {
            if (session.ConnectedAt is null)
            {
                step.Record(ContactEventKind.Answered, leg.AgentId, step.Now - session.CreatedAt);
            }

            step.Session = session with { Phase = CallPhase.Connected, ConnectedAt = session.ConnectedAt ?? step.Now };
            ResumeIfHeldForAgent(step);
        }
        else if (session.Consultant?.Id == leg.Id && session.Owner is { IsLive: true })
        {
            step.Session = session with { Phase = CallPhase.Consulting, Transfer = session.Transfer! with { Outcome = TransferOutcome.Consulting } };
        }
        else if (session.Consultant?.Id == leg.Id)
        {
            // A blind transfer: the consultant takes the customer, who comes off hold.
            CompleteTransfer(step, leg);
        }
        else if (leg.CallSid is not null)
        {
            // A leg the session has no place for (an old offer, a failed transfer's late answer): it must not stay with the customer.
            step.Update(leg with { Withdrawn = true });
            step.Effect(new CompleteLeg(leg.Id, leg.CallSid));
        }
    }

    /// <summary>The leg is gone: its agent is free, and the customer is never left alone.</summary>
    private static void End(Step step, AgentLeg leg, LegEnd end)
    {
        var session = step.Session;
        var ended = leg with { Status = LegStatus.Ended, End = end };
        step.Update(ended);
        var missed = end is LegEnd.Busy or LegEnd.NoAnswer or LegEnd.Failed && !leg.Withdrawn && !session.IsEnded;
        step.Effect(new FreeAgent(leg.AgentId, leg.Id, Away: missed));
        if (session.IsEnded || leg.Withdrawn)
        {
            return;
        }

        // A leg that left the conference or completed was with the customer, even if its answer was never heard of.
        var wasIn = leg.HasAnswered || end is LegEnd.Left or LegEnd.Completed;
        if (leg.Id == session.OwnerLegId && wasIn && session.Callback is { Status: CallbackStatus.Calling } calling)
        {
            // The agent went before the customer answered their callback: the customer's call is withdrawn, and the entry goes
            // back to the front of the line with this attempt not counted against it.
            if (calling.CallSid is { } callSid)
            {
                step.Effect(new CancelLeg(calling.AttemptId!, callSid));
            }

            step.Session = step.Session with
            {
                OwnerLegId = null, Phase = CallPhase.Waiting, Callback = calling with { Status = CallbackStatus.Waiting, Attempts = calling.Attempts - 1 },
            };
            step.Effect(new OfferToNextAgent());
        }
        else if (leg.Id == session.OwnerLegId && !wasIn)
        {
            // The offer failed: the customer keeps their place, at the front of the line.
            step.Session = step.Session with { OwnerLegId = null, Phase = CallPhase.Waiting };
            step.Effect(new OfferToNextAgent());
        }
        else if (leg.Id == session.OwnerLegId)
        {
            OwnerDeparted(step);
        }
        else if (session.Consultant?.Id == leg.Id)
        {
            ConsultantDeparted(step, leg.LeaveRequested ? TransferFailure.Left
                : wasIn ? TransferFailure.Dropped
                : end switch
                {
                    LegEnd.Busy => TransferFailure.Declined,
                    LegEnd.NoAnswer => TransferFailure.NoAnswer,
                    _ => TransferFailure.Failed,
                });
        }
    }

    /// <summary>The owner is leaving or gone: the consultant takes over, or the customer is held for the next agent.</summary>
    private static void OwnerDeparted(Step step)
    {
        var session = step.Session;
        switch (session.Consultant)
        {
            case { IsLive: true, HasAnswered: true } consultant:
                CompleteTransfer(step, consultant);
                break;
            case { IsLive: true }:
                step.Session = session with
                {
                    OwnerLegId = null,
                    Phase = CallPhase.BlindTransfer,
                    Transfer = session.Transfer! with { Blind = true },
                };
                HoldForAgent(step);
                break;
            case null when session.Transfer is { Outcome: TransferOutcome.Waiting } waiting:
                // The transfer still waits for the next free colleague, in the priority line: the customer waits with it, on hold music.
                step.Session = session with { OwnerLegId = null, Phase = CallPhase.BlindTransfer, Transfer = waiting with { Blind = true } };
                HoldForAgent(step);
                break;
            default:
                step.Session = session with { OwnerLegId = null, Phase = CallPhase.Waiting };
                HoldForAgent(step);
                step.Effect(new OfferToNextAgent());
                break;
        }
    }

    /// <summary>The consultant is leaving or gone before taking over: the owner keeps the customer, or the line does.</summary>
    private static void ConsultantDeparted(Step step, TransferFailure failure)
    {
        var session = step.Session;
        var failed = session.Transfer! with { Outcome = TransferOutcome.Failed, Failure = failure };
        step.Record(ContactEventKind.TransferFailed, failed.ToAgentId, detail: failure.ToString().ToLowerInvariant());
        if (session.Owner is { IsLive: true })
        {
            step.Session = session with { Transfer = failed, Phase = CallPhase.Connected };
            ResumeCustomer(step);
        }
        else
        {
            // A blind transfer failed: the customer, still on hold, goes to the front of the line.
            step.Session = session with { Transfer = failed, Phase = CallPhase.Waiting };
            step.Effect(new OfferToNextAgent());
        }
    }

    private static void CompleteTransfer(Step step, AgentLeg consultant)
    {
        var session = step.Session;
        step.Update(consultant with { Role = AgentRole.Owner });
        step.Session = step.Session with
        {
            OwnerLegId = consultant.Id,
            Phase = CallPhase.Connected,
            Transfer = session.Transfer! with { Outcome = TransferOutcome.Completed },
        };
        step.Record(ContactEventKind.TransferCompleted, consultant.AgentId, session.Transfer!.AskedAt is { } asked ? step.Now - asked : null);
        ResumeCustomer(step);
    }

    private static void HoldForAgent(Step step)
    {
        step.Session = step.Session with { Customer = step.Session.Customer with { OnHold = true, HeldForAgent = true } };
        step.Effect(new HoldCustomer());
    }

    private static void ResumeIfHeldForAgent(Step step)
    {
        if (step.Session.Customer.HeldForAgent)
        {
            ResumeCustomer(step);
        }
    }

    private static void ResumeCustomer(Step step)
    {
        var customer = step.Session.Customer;
        if (customer.OnHold || customer.HeldForAgent)
        {
            step.Session = step.Session with { Customer = customer with { OnHold = false, HeldForAgent = false } };
            step.Effect(new SessionEffect.ResumeCustomer());
        }
    }

    /// <summary>The call is over: the customer's place in line goes, and every other leg (and a callback's call) is ended or cancelled.</summary>
    private static void EndSession(Step step)
    {
        var session = step.Session;
        if (session.ConnectedAt is { } connected)
        {
            var hold = session.Customer.HoldTime(step.Now);
            step.Record(ContactEventKind.CallEnded, session.Owner?.AgentId, step.Now - connected - hold, hold: hold);
        }
        else if (session.EndedBy is null && session.Callback is not { Status: CallbackStatus.Failed })
        {
            // Gone before any agent answered: in line, or while an agent was rung for them.
            step.Record(ContactEventKind.Abandoned, session.Owner?.AgentId, step.Now - session.CreatedAt,
                session.Phase == CallPhase.Offered || session.Callback is { Status: CallbackStatus.Calling } ? "ringing" : "line");
        }

        step.Session = step.Session with
        {
            Phase = CallPhase.Ended, Customer = session.Customer with { HeldSince = null, HeldFor = session.Customer.HoldTime(step.Now) },
        };
        step.Effect(new LeaveLine());
        if (step.Session.Callback is { Status: CallbackStatus.Calling, AttemptId: { } attemptId, CallSid: { } callbackCall })
        {
            step.Effect(new CancelLeg(attemptId, callbackCall));
        }

        foreach (var leg in step.Session.Legs.Where(leg => leg.IsLive))
        {
            Withdraw(step, leg);
        }
    }

    /// <summary>The session no longer wants the leg: never dialed, it ends now; ringing, it is cancelled; answered, hung up.</summary>
    private static void Withdraw(Step step, AgentLeg leg)
    {
        if (leg.CallSid is null)
        {
            step.Update(leg with { Status = LegStatus.Ended, End = LegEnd.Withdrawn, Withdrawn = true });
            step.Effect(new FreeAgent(leg.AgentId, leg.Id, Away: false));
            return;
        }

        step.Update(leg with { Withdrawn = true });
        step.Effect(leg.HasAnswered ? new CompleteLeg(leg.Id, leg.CallSid) : new CancelLeg(leg.Id, leg.CallSid));
    }

    /// <summary>Twilio's stand-ins for a caller who hid their number (anonymous, restricted, unavailable, blocked): not a number to call.</summary>
    private static readonly HashSet<string> HiddenNumbers = new(StringComparer.Ordinal) { "+266696687", "+7378742833", "+86282452253", "+2562533" };

    /// <summary>Whether the caller can be called back: an E.164 number that is not a stand-in for a hidden one.</summary>
    public static bool CanCallBack(string? number) =>
        number is { Length: >= 8 and <= 16 } && number[0] == '+' && number[1] is >= '1' and <= '9' && number.Skip(1).All(char.IsAsciiDigit)
        && !HiddenNumbers.Contains(number);

    /// <summary>The waiting customer asked to be called back: their entry stays where it is in line, marked callback.</summary>
    private static void RequestCallback(Step step, CallbackRequested request)
    {
        var session = step.Session;
        if (session.Callback is not null)
        {
            return;
        }

        if (session.IsEnded || session.Phase != CallPhase.Waiting)
        {
            step.Refuse(RefusalKind.Conflict, session.IsEnded ? "The call has ended." : "An agent is already being rung for this caller.");
            return;
        }

        if (!CanCallBack(session.Customer.Number))
        {
            step.Refuse(RefusalKind.Conflict, "The caller's number cannot be called back.");
            return;
        }

        // The line's conference (if they were in it) is over for them; the callback's is a new one.
        var customer = session.Customer;
        step.Session = session with
        {
            Callback = new Callback(step.Now, request.MaxAttempts, request.RetryDelay),
            Customer = customer with
            {
                ConferenceSid = null, PastConference = customer.ConferenceSid ?? customer.PastConference, OnHold = false, HeldForAgent = false, HoldSequence = 0,
            },
        };
        step.Record(ContactEventKind.CallbackRequested, null);
    }

    /// <summary>
    /// The waiting customer is taken out of the line's conference to hear the callback offer again (only while nobody is rung for
    /// them): that conference's end is no longer theirs, and the conference they come back to is learned when they join it.
    /// </summary>
    private static void RepeatCallbackOffer(Step step)
    {
        var session = step.Session;
        if (session is not { Phase: CallPhase.Waiting, Callback: null, Customer.ConferenceSid: { } conferenceSid } || session.Legs.Any(leg => leg.IsLive))
        {
            step.Refuse(RefusalKind.Conflict, "The caller is not waiting in the line's conference.");
            return;
        }

        step.Session = session with { Customer = session.Customer with { ConferenceSid = null, PastConference = conferenceSid, HoldSequence = 0 } };
    }

    /// <summary>The progress of the callback's call to the customer; a call of an attempt given up is hung up.</summary>
    private static void CallbackProgress(Step step, CustomerCallProgress progress)
    {
        var session = step.Session;
        if (session.Callback is not { IsCalling: true } callback || callback.AttemptId != progress.AttemptId
            || callback.CallSid is not null && callback.CallSid != progress.CallSid)
        {
            // An attempt given up, or a second call for one (a dial whose first try also went through): it must reach no one.
            if (!progress.Status.IsFinal())
            {
                step.Effect(progress.Status == LegCallStatus.InProgress
                    ? new CompleteLeg(progress.AttemptId, progress.CallSid)
                    : new CancelLeg(progress.AttemptId, progress.CallSid));
            }

            return;
        }

        if (progress.Sequence is { } sequence && sequence <= callback.LastSequence)
        {
            return;
        }

        var known = callback with { CallSid = progress.CallSid, LastSequence = progress.Sequence ?? callback.LastSequence };
        step.Session = session with { Callback = known };
        if (callback.Status == CallbackStatus.Answered)
        {
            if (progress.Status.IsFinal() && !session.IsEnded)
            {
                // The customer hung up (their conference's events may never come).
                EndSession(step);
            }

            return;
        }

        if (session.IsEnded)
        {
            return;
        }

        switch (progress.Status)
        {
            case LegCallStatus.InProgress:
                if (session.ConnectedAt is null)
                {
                    step.Record(ContactEventKind.Answered, session.Owner?.AgentId, step.Now - session.CreatedAt);
                }

                step.Record(ContactEventKind.CallbackCompleted, session.Owner?.AgentId);
                step.Session = step.Session with { Callback = known with { Status = CallbackStatus.Answered }, ConnectedAt = session.ConnectedAt ?? step.Now };
                break;
            case var final when final.IsFinal():
                CallbackMissed(step);
                break;
        }
    }

    /// <summary>
    /// The customer did not answer their callback: the agent's leg is hung up (the agent freed, not blamed), and the entry waits
    /// <see cref="Callback.RetryDelay"/> to go back to the front of the line, or ends as failed after its last attempt.
    /// </summary>
    private static void CallbackMissed(Step step)
    {
        var callback = step.Session.Callback!;
        if (step.Session.Owner is { IsLive: true } owner)
        {
            Withdraw(step, owner);
        }

        if (callback.Attempts >= callback.MaxAttempts)
        {
            step.Session = step.Session with { OwnerLegId = null, Callback = callback with { Status = CallbackStatus.Failed } };
            step.Record(ContactEventKind.CallbackFailed, null, detail: $"{callback.Attempts} attempts");
            EndSession(step);
            return;
        }

        step.Session = step.Session with
        {
            OwnerLegId = null, Phase = CallPhase.Waiting, Callback = callback with { Status = CallbackStatus.Waiting, RetryAt = step.Now + callback.RetryDelay },
        };
    }

    /// <summary>A missed callback's wait is over: back to the front of the line, for the next available agent.</summary>
    private static void CallbackComesDue(Step step)
    {
        if (step.Session is { IsEnded: false, Phase: CallPhase.Waiting, Callback: { Status: CallbackStatus.Waiting, RetryAt: { } at } callback }
            && at <= step.Now)
        {
            step.Session = step.Session with { Callback = callback with { RetryAt = null } };
            step.Effect(new OfferToNextAgent());
        }
    }

    private static void RequestTransfer(Step step, TransferRequested request)
    {
        var session = step.Session;
        if (request.LegId is { } known && session.Leg(known) is not null)
        {
            return;
        }

        // The colleague routing took for this transfer is free again when it is refused.
        var taken = request is { ColleagueId: { } colleagueId, LegId: { } legId } ? new FreeAgent(colleagueId, legId, Away: false) : null;
        if (OwnerAction(step, request.AgentId, "transfer the customer") is not { } owner)
        {
            Effect(step, taken);
            return;
        }

        if (session.Transfer is { IsUnderWay: true } || request.ColleagueId == request.AgentId)
        {
            step.Refuse(RefusalKind.Conflict, request.ColleagueId == request.AgentId ? "You cannot transfer a call to yourself." : "A transfer is already under way.");
            Effect(step, taken);
            return;
        }

        var transfer = new Transfer(request.AgentId, null, null, TransferOutcome.Waiting, Note: request.Note, AskedAt: step.Now);
        step.Record(ContactEventKind.TransferAsked, request.AgentId);
        if (request is { ColleagueId: { } colleague, LegId: { } leg })
        {
            Consult(step, transfer, leg, colleague);
        }
        else
        {
            step.Session = session with { Transfer = transfer };
            step.Effect(new FindColleague());
        }

        if (request.AndLeave)
        {
            // A cold transfer: the owner goes now, as if they left while the colleague rings (or before one is found).
            step.Update(owner with { LeaveRequested = true });
            step.Effect(new CompleteLeg(owner.Id, owner.CallSid!));
            OwnerDeparted(step);
        }
    }

    /// <summary>Routing found the next free colleague for the waiting transfer: they are rung, unless the transfer is no longer waiting.</summary>
    private static void FoundColleague(Step step, ColleagueFound found)
    {
        var session = step.Session;
        if (session.Leg(found.LegId) is not null)
        {
            return;
        }

        if (session.IsEnded || session.Transfer is not { Outcome: TransferOutcome.Waiting } waiting)
        {
            step.Effect(new FreeAgent(found.AgentId, found.LegId, Away: false));
            return;
        }

        Consult(step, waiting, found.LegId, found.AgentId);
        if (session.Owner is not { IsLive: true })
        {
            step.Session = step.Session with { Phase = CallPhase.BlindTransfer };
        }
    }

    /// <summary>
    /// The agent rung on the leg has no page any more: nobody will answer. The offer is withdrawn now rather than after the
    /// ring time: the caller goes to the next agent at the front of the line, or the transfer fails and the owner is told.
    /// </summary>
    private static void Gone(Step step, AgentGone gone)
    {
        var session = step.Session;
        if (session.IsEnded || session.Leg(gone.LegId) is not { IsLive: true, Withdrawn: false, HasAnswered: false } leg || leg.AgentId != gone.AgentId)
        {
            return;
        }

        Withdraw(step, leg);
        if (leg.Id == session.OwnerLegId)
        {
            step.Session = step.Session with { OwnerLegId = null, Phase = CallPhase.Waiting };
            step.Effect(new OfferToNextAgent());
        }
        else if (session.Consultant?.Id == leg.Id)
        {
            ConsultantDeparted(step, TransferFailure.Offline);
        }
    }

    /// <summary>The colleague is rung for the transfer.</summary>
    private static void Consult(Step step, Transfer transfer, string legId, string colleagueId)
    {
        var leg = new AgentLeg(legId, colleagueId, AgentRole.Consultant, LegStatus.Requested, RequestedAt: step.Now);
        step.Session = step.Session.WithLeg(leg) with
        {
            Phase = CallPhase.Consulting,
            Transfer = transfer with { ToAgentId = colleagueId, ConsultantLegId = leg.Id, Outcome = TransferOutcome.Ringing },
        };
        step.Effect(new DialAgent(leg.Id, leg.AgentId, AgentRole.Consultant));
        step.Record(ContactEventKind.TransferStarted, colleagueId);
    }

    private static void Effect(Step step, SessionEffect? effect)
    {
        if (effect is not null)
        {
            step.Effect(effect);
        }
    }

    private static void CancelTransfer(Step step, string agentId)
    {
        if (OwnerAction(step, agentId, "cancel the transfer") is null)
        {
            return;
        }

        if (step.Session.Transfer is { Outcome: TransferOutcome.Waiting })
        {
            // Nobody was rung yet: the transfer leaves the priority line.
            step.Effect(new LeaveLine());
        }
        else if (step.Session.Consultant is { } consultant)
        {
            Withdraw(step, consultant);
        }
        else
        {
            step.Refuse(RefusalKind.Conflict, "No transfer is under way.");
            return;
        }

        step.Session = step.Session with
        {
            Phase = CallPhase.Connected,
            Transfer = step.Session.Transfer! with { Outcome = TransferOutcome.Cancelled },
        };
        step.Record(ContactEventKind.TransferCancelled, agentId);
        ResumeCustomer(step);
    }

    private static void Hold(Step step, HoldRequested request)
    {
        if (OwnerAction(step, request.AgentId, request.Hold ? "hold the customer" : "resume the customer") is null)
        {
            return;
        }

        step.Session = step.Session with { Customer = step.Session.Customer with { OnHold = request.Hold, HeldForAgent = false } };
        step.Effect(request.Hold ? new HoldCustomer() : new SessionEffect.ResumeCustomer());
    }

    private static void Leave(Step step, string agentId)
    {
        var session = step.Session;
        if (InCall(step, agentId) is not { } leg)
        {
            return;
        }

        if (leg.Id == session.OwnerLegId && session.Transfer is not { IsUnderWay: true })
        {
            step.Refuse(RefusalKind.Conflict, "You have the customer: transfer the call or end it.");
            return;
        }

        if (leg.Id != session.OwnerLegId && session.Consultant?.Id != leg.Id)
        {
            step.Refuse(RefusalKind.NotInCall, "You are not in this call.");
            return;
        }

        step.Update(leg with { LeaveRequested = true });
        step.Effect(new CompleteLeg(leg.Id, leg.CallSid!));
        if (leg.Id == session.OwnerLegId)
        {
            OwnerDeparted(step);
        }
        else
        {
            ConsultantDeparted(step, TransferFailure.Left);
        }
    }

    /// <summary>The owner leaves the customer to the line: held, at its front, offered to the next available agent.</summary>
    private static void ReturnToQueue(Step step, string agentId)
    {
        if (OwnerAction(step, agentId, "return the customer to the queue") is not { } leg)
        {
            return;
        }

        if (step.Session.Transfer is { IsUnderWay: true })
        {
            step.Refuse(RefusalKind.Conflict, "A transfer is under way: cancel it first, or leave to hand the customer over.");
            return;
        }

        step.Update(leg with { LeaveRequested = true });
        step.Effect(new CompleteLeg(leg.Id, leg.CallSid!));
        OwnerDeparted(step);
    }

    private static void EndCall(Step step, string agentId)
    {
        if (OwnerAction(step, agentId, "end the call", evenWhileCallingBack: true) is null)
        {
            return;
        }

        step.Session = step.Session with { EndedBy = agentId };
        step.Effect(new EndConference());
        EndSession(step);
    }

    /// <summary>The agent's answered leg, or null with the refusal recorded.</summary>
    private static AgentLeg? InCall(Step step, string agentId)
    {
        if (step.Session.IsEnded)
        {
            step.Refuse(RefusalKind.Conflict, "The call has ended.");
            return null;
        }

        if (step.Session.LiveLegOf(agentId) is not { HasAnswered: true, CallSid: not null, Withdrawn: false, LeaveRequested: false } leg)
        {
            step.Refuse(RefusalKind.NotInCall, "You are not in this call.");
            return null;
        }

        return leg;
    }

    /// <summary>The agent's leg when they have the customer, or null with the refusal recorded.</summary>
    /// <param name="evenWhileCallingBack">The action makes sense before a called-back customer answers (ending the call).</param>
    private static AgentLeg? OwnerAction(Step step, string agentId, string what, bool evenWhileCallingBack = false)
    {
        if (InCall(step, agentId) is not { } leg)
        {
            return null;
        }

        if (leg.Id != step.Session.OwnerLegId)
        {
            step.Refuse(RefusalKind.Conflict, $"Only the agent who has the customer can {what}.");
            return null;
        }

        if (step.Session.Callback is { Status: CallbackStatus.Calling } && !evenWhileCallingBack)
        {
            step.Refuse(RefusalKind.Conflict, $"The customer is being called back: you can {what} once they answer.");
            return null;
        }

        return leg;
    }

    /// <summary>One decision in the making: the session as it changes, the effects asked for, the agents to tell.</summary>
    private sealed class Step(CallSession original, DateTimeOffset now)
    {
        private readonly CallSession _original = original;
        private readonly List<SessionEffect> _effects = [];
        private Refusal? _refusal;

        public CallSession Session { get; set; } = original;

        public DateTimeOffset Now => now;

        private readonly List<ContactEvent> _happened = [];

        public void Effect(SessionEffect effect) => _effects.Add(effect);

        public void Record(ContactEventKind kind, string? agentId, TimeSpan? duration = null, string? detail = null, TimeSpan? hold = null) =>
            _happened.Add(new ContactEvent(kind, Session.Id, agentId, now, duration, detail, hold));

        public void Update(AgentLeg leg) => Session = Session.WithLeg(leg);

        public void Refuse(RefusalKind kind, string message) => _refusal ??= new Refusal(kind, message);

        public void LearnConference(string? conferenceSid)
        {
            // The line's conference the customer left (for a callback offer) is not theirs any more, even while it lasts.
            if (Session.Customer.ConferenceSid is null && conferenceSid is not null && conferenceSid != Session.Customer.PastConference)
            {
                Session = Session with { Customer = Session.Customer with { ConferenceSid = conferenceSid } };
            }
        }

        public Decision Finish()
        {
            if (_refusal is not null)
            {
                return new Decision(_original, [.. _effects], Changed: false, _refusal);
            }

            var changed = !Same(_original, Session);
            var notify = _effects.OfType<FreeAgent>().Select(free => free.AgentId).ToHashSet();
            if (changed && Visible(_original) != Visible(Session))
            {
                notify.UnionWith(_original.BusyAgents);
                notify.UnionWith(Session.BusyAgents);
            }

            if (notify.Count > 0)
            {
                _effects.Add(new NotifyAgents([.. notify.Order(StringComparer.Ordinal)]));
            }

            var session = changed ? Session with { Version = _original.Version + 1, UpdatedAt = now } : _original;
            return new Decision(session, [.. _effects], changed) { Happened = changed ? [.. _happened] : [] };
        }

        private static bool Same(CallSession a, CallSession b) => a with { Legs = b.Legs } == b && a.Legs.SequenceEqual(b.Legs);

        /// <summary>What an agent's page shows of the session: of a leg's progress, only whether it lives and has answered.</summary>
        private static string Visible(CallSession session) =>
            string.Join('|', session.Phase, session.OwnerLegId, session.Transfer, session.Customer.OnHold, session.ConnectedAt, session.Problem, session.Callback?.Status,
                string.Join(',', session.Legs.Select(leg => $"{leg.Id}:{leg.IsLive}:{leg.HasAnswered}:{leg.Role}:{leg.LeaveRequested}:{leg.Withdrawn}")));
    }
}
