using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;
using static WarmTransfer.CallCenter.Domain.SessionEffect;
using static WarmTransfer.CallCenter.Domain.SessionEvent;

namespace WarmTransfer.CallCenter.Routing;

/// <summary>
/// The one way into a call session for every service: an event is decided and stored atomically, then what the decision asks
/// for is carried out — dials through the dial queue, call control through the command queue, routing and agent state in
/// Redis, pushes to the agents' pages. Routing's own choices (an agent for a caller) come back in as events.
/// </summary>
public sealed class CallSessions(
    SessionStore sessions,
    AgentStore agents,
    IDialRequestPublisher work,
    IAgentUpdatePublisher updates,
    TimeProvider time,
    ILogger<CallSessions> logger)
{
    /// <summary>
    /// A customer called: their session starts and the longest-idle agent is rung, or they wait in line. Null when an agent is
    /// rung for them; otherwise where they wait (no position when Twilio asked twice and the caller is no longer in line).
    /// </summary>
    public async Task<LineClaim?> StartAsync(string customerCallSid, string? customerNumber, CancellationToken cancellationToken)
    {
        TagTrace(customerCallSid);
        var session = CallSession.Start(customerCallSid, customerNumber, time.GetUtcNow());
        if (!await sessions.CreateAsync(session))
        {
            // Twilio asked twice, or this request is handled again after Redis failed under it: the first session stands,
            // wherever it is now. One written but never routed (the line's claim failed after it) is routed now.
            var place = await agents.WaitingPlaceAsync(customerCallSid);
            if (place.Position is not null
                || await sessions.GetAsync(customerCallSid) is not { IsEnded: false, Phase: CallPhase.Waiting, Legs.Count: 0, Callback: null } unrouted)
            {
                logger.LogInformation("Session {SessionId} already started", customerCallSid);
                return place;
            }

            logger.LogWarning("Session {SessionId} was started but never routed: routed now", customerCallSid);
            session = unrouted;
        }

        // A caller put in line costs two round trips: the session written, then the claim, which says their place and the line's
        // pace (what a callback offer is decided on). A caller given an agent costs a third: the offer decided on the session as written.
        var legId = NewLegId();
        var claim = await agents.ClaimLongestIdleAsync(customerCallSid, legId, LinePlace.Back);
        if (claim.AgentId is not { } agentId)
        {
            logger.LogInformation("No agent available: caller {SessionId} waits in line", customerCallSid);
            return claim;
        }

        var offered = new AgentOffered(legId, agentId);
        if (await sessions.DecideAsync(session, offered) is { } decision)
        {
            await CarryOutAsync(decision, cancellationToken);
        }
        else
        {
            await OrphanAsync(customerCallSid, offered, cancellationToken);
        }

        return null;
    }

    /// <summary>Every trace of a call carries its session (the customer's CallSid): the dashboard finds all of one call's steps by it.</summary>
    private static void TagTrace(string sessionId) => Activity.Current?.SetTag("warmtransfer.session", sessionId);

    /// <summary>Decides the event on its session and carries out the decision. Null when the session is unknown.</summary>
    public async Task<Decision?> HandleAsync(string sessionId, SessionEvent @event, CancellationToken cancellationToken)
    {
        TagTrace(sessionId);
        var decision = await sessions.DecideAsync(sessionId, @event);
        if (decision is null)
        {
            await OrphanAsync(sessionId, @event, cancellationToken);
            return null;
        }

        if (decision.Refusal is { } refusal)
        {
            logger.LogInformation("Session {SessionId}: {Event} refused: {Reason}", sessionId, @event.GetType().Name, refusal.Message);
        }

        await CarryOutAsync(decision, cancellationToken);
        return decision;
    }

    /// <summary>The caller needs an agent: the longest-idle one is rung, or the caller waits in line (at the front when an offer failed).</summary>
    public async Task OfferAsync(string sessionId, bool front, CancellationToken cancellationToken)
    {
        if (!await ClaimLongestIdleAsync(sessionId, front ? LinePlace.Front : LinePlace.Back, (legId, agentId) => new AgentOffered(legId, agentId),
                cancellationToken))
        {
            logger.LogInformation("No agent available: caller {SessionId} waits in line", sessionId);
        }
    }

    /// <summary>
    /// The agent is free of <paramref name="legId"/> (or, with none, an idle agent wants calls): a waiting transfer or the
    /// longest-waiting caller is offered to them, or they join the idle line; after a call they go to wrap-up first.
    /// </summary>
    public async Task FreeAgentAsync(string agentId, string? legId, bool away, CancellationToken cancellationToken)
    {
        var nextLegId = NewLegId();
        await AgentChangedAsync(agentId, await agents.FreeAsync(agentId, legId, away, nextLegId), nextLegId, cancellationToken);
    }

    /// <summary>
    /// What routing sees of the agent changed: their pages are told, the call they finished is counted, and the transfer or
    /// caller they were taken for (on <paramref name="legId"/>) is offered to them.
    /// </summary>
    public async Task AgentChangedAsync(string agentId, AgentChange change, string legId, CancellationToken cancellationToken)
    {
        if (change.Changed)
        {
            await updates.PublishAsync([agentId], cancellationToken);
        }

        if (change.SessionId is not { } sessionId)
        {
            return;
        }

        if (change.GoneFromLeg is { } goneFrom)
        {
            logger.LogInformation("Agent {AgentId}'s page went away while rung for {SessionId}: the offer is withdrawn", agentId, sessionId);
            await HandleAsync(sessionId, new AgentGone(agentId, goneFrom), cancellationToken);
            return;
        }

        if (change.Transfer)
        {
            logger.LogInformation("Transfer of {SessionId} offered to {AgentId}, the first colleague freed", sessionId, agentId);
            await HandleAsync(sessionId, new ColleagueFound(legId, agentId), cancellationToken);
            return;
        }

        logger.LogInformation("Waiting caller {SessionId} offered to {AgentId}", sessionId, agentId);
        await HandleAsync(sessionId, new AgentOffered(legId, agentId), cancellationToken);
    }

    /// <summary>The transfer needs the next free colleague: the longest-idle one is rung, or it waits in the priority line.</summary>
    public async Task FindColleagueAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!await ClaimLongestIdleAsync(sessionId, LinePlace.Transfer, (legId, agentId) => new ColleagueFound(legId, agentId), cancellationToken))
        {
            logger.LogInformation("No colleague available: the transfer of {SessionId} waits in the priority line", sessionId);
        }
    }

    /// <summary>Takes the longest-idle routable agent for the session and offers it to them; false when it waits in <paramref name="place"/>.</summary>
    private async Task<bool> ClaimLongestIdleAsync(string sessionId, LinePlace place, Func<string, string, SessionEvent> taken, CancellationToken cancellationToken)
    {
        var legId = NewLegId();
        if ((await agents.ClaimLongestIdleAsync(sessionId, legId, place)).AgentId is not { } agentId)
        {
            return false;
        }

        await HandleAsync(sessionId, taken(legId, agentId), cancellationToken);
        return true;
    }

    private async Task CarryOutAsync(Decision decision, CancellationToken cancellationToken)
    {
        var session = decision.Session;
        foreach (var happened in decision.Happened)
        {
            logger.LogInformation("Session {SessionId}: {Happened} {AgentId} {Detail}", session.Id, happened.Kind, happened.AgentId, happened.Detail);
        }

        // The session is stored: a dial is published while the state effects go on (the worker reads the session it was
        // stored with), and the agents are told once those are done (NotifyAgents comes last), each awaited at the end.
        var publishing = new List<Task>();
        try
        {
            foreach (var effect in decision.Effects)
            {
                switch (effect)
                {
                    case DialAgent dial:
                        publishing.Add(work.PublishAsync(new DialRequest($"{session.Id}.{dial.LegId}", session.Id, dial.LegId, dial.AgentId, dial.Role,
                            time.GetUtcNow()), cancellationToken));
                        break;
                    case DialCustomer dial:
                        // The agent who took the callback names the request, with the customer's number to call.
                        publishing.Add(work.PublishAsync(new DialRequest($"{session.Id}.{dial.AttemptId}.customer", session.Id, dial.AttemptId,
                            session.Owner?.AgentId ?? string.Empty, AgentRole.Owner, time.GetUtcNow(), dial.Number), cancellationToken));
                        break;
                    case CancelLeg { CallSid: { } callSid } cancel:
                        await CommandAsync(session, CallAction.CancelLeg, cancel.LegId, callSid, cancellationToken);
                        break;
                    case CancelLeg:
                        // No call yet: the dialer finds the leg withdrawn and dials no one.
                        break;
                    case CompleteLeg complete:
                        await CommandAsync(session, CallAction.CompleteLeg, complete.LegId, complete.CallSid, cancellationToken);
                        break;
                    case HoldCustomer:
                        await CommandAsync(session, CallAction.HoldCustomer, null, null, cancellationToken);
                        break;
                    case ResumeCustomer:
                        await CommandAsync(session, CallAction.ResumeCustomer, null, null, cancellationToken);
                        break;
                    case EndConference:
                        // With no conference, the customer's own call (or their callback's) is hung up.
                        await CommandAsync(session, CallAction.EndConference, null, session.CustomerCallSid, cancellationToken);
                        break;
                    case OfferToNextAgent:
                        await OfferAsync(session.Id, front: true, cancellationToken);
                        break;
                    case FindColleague:
                        await FindColleagueAsync(session.Id, cancellationToken);
                        break;
                    case LeaveLine:
                        await agents.LeaveLineAsync(session.Id);
                        break;
                    case AgentInCall inCall:
                        await agents.InCallAsync(inCall.AgentId, inCall.LegId);
                        break;
                    case FreeAgent free:
                        await FreeAgentAsync(free.AgentId, free.LegId, free.Away, cancellationToken);
                        break;
                    case NotifyAgents notify:
                        publishing.Add(updates.PublishAsync(notify.AgentIds, cancellationToken));
                        break;
                }
            }
        }
        catch (Exception failure) when (publishing.Count > 0)
        {
            // The dials already started still go out (or into the outbox) before the failure is reported.
            try
            {
                await Task.WhenAll(publishing);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Session {SessionId}: a publish failed beside {Failure}", session.Id, failure.GetType().Name);
            }

            throw;
        }

        await Task.WhenAll(publishing);
    }

    /// <summary>An event for a session that no longer exists: whatever it left busy is let go.</summary>
    private async Task OrphanAsync(string sessionId, SessionEvent @event, CancellationToken cancellationToken)
    {
        logger.LogInformation("Session {SessionId} is gone: {Event} ends what it left", sessionId, @event.GetType().Name);
        switch (@event)
        {
            case AgentOffered offered:
                await FreeAgentAsync(offered.AgentId, offered.LegId, away: false, cancellationToken);
                break;
            case TransferRequested { ColleagueId: { } colleagueId, LegId: { } legId }:
                await FreeAgentAsync(colleagueId, legId, away: false, cancellationToken);
                break;
            case ColleagueFound found:
                await FreeAgentAsync(found.AgentId, found.LegId, away: false, cancellationToken);
                break;
            case LegProgress { Status: LegCallStatus.InProgress } progress:
                await work.PublishAsync(new CallCommand(NewLegId(), CallAction.CompleteLeg, sessionId, progress.LegId, progress.CallSid, null), cancellationToken);
                break;
            case LegProgress { Status: < LegCallStatus.InProgress } progress:
                await work.PublishAsync(new CallCommand(NewLegId(), CallAction.CancelLeg, sessionId, progress.LegId, progress.CallSid, null), cancellationToken);
                break;
        }
    }

    private Task CommandAsync(CallSession session, CallAction action, string? legId, string? callSid, CancellationToken cancellationToken) =>
        work.PublishAsync(new CallCommand($"{session.Id}.{session.Version}.{action}.{legId}", action, session.Id, legId, callSid,
            session.Customer.ConferenceSid), cancellationToken);

    public static string NewLegId() => Guid.NewGuid().ToString("N")[..12];
}
