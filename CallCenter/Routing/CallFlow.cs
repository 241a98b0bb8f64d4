using Microsoft.Extensions.Logging;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;
using WarmTransfer.CallCenter.Voice;

namespace WarmTransfer.CallCenter.Routing;

/// <summary>
/// What happens when a leg changes: every hang-up edge of the call and the transfer is decided here, so the customer is
/// never left alone in silence and no agent is left busy. Twilio changes (cancel a leg, hold or resume the customer)
/// become commands for the dialer worker: the webhooks that call these methods never call Twilio themselves.
/// </summary>
public sealed class CallFlow(
    AgentStore agents,
    ConferenceStore conferences,
    CallRouter router,
    IDialRequestPublisher work,
    IAgentUpdatePublisher updates,
    CallCenterMetrics metrics,
    TimeProvider time,
    ILogger<CallFlow> logger)
{
    /// <summary>An agent leg ended: busy (declined), no-answer, failed, canceled or completed.</summary>
    public async Task AgentLegEndedAsync(string agentId, string conferenceName, DialRole role, string status, CancellationToken cancellationToken)
    {
        var record = await conferences.GetAsync(conferenceName);
        var missed = status is "busy" or "no-answer" or "failed";
        if (missed || status == "canceled")
        {
            metrics.DialFailed(status);
        }

        if (missed)
        {
            // An agent who missed an offer is not offered the next caller: they are away until they come back.
            await agents.GoAwayAsync(agentId);
            logger.LogInformation("Agent {AgentId} missed the call for {ConferenceName} ({CallStatus}) and is away", agentId, conferenceName, status);
        }

        // A late callback of an earlier leg must not free the agent from the call they are on now.
        var agent = await agents.GetAsync(agentId);
        var freed = agent.ConferenceName is null || agent.ConferenceName == conferenceName;
        if (freed)
        {
            await router.AgentFreeAsync(agentId, cancellationToken);
        }

        if (record is not null && missed && role == DialRole.FirstAgent && record.FirstAgent is null && record.OfferedAgent == agentId)
        {
            // The caller keeps their place: the next available agent is offered them.
            await router.RouteCallerAsync(conferenceName, cancellationToken, alreadyWaiting: true);
        }
        else if (record is not null && role == DialRole.TransferAgent && record.TransferAgent == agentId)
        {
            await TransferLegEndedAsync(record, status, missed, cancellationToken);
        }

        // The router told the agents it freed or dialed; the first agent sees how their transfer went.
        await updates.PublishAsync([freed ? null : agentId, role == DialRole.TransferAgent ? record?.FirstAgent : null], cancellationToken);
    }

    /// <summary>
    /// Twilio would not create the agent's call, even after retries. The agent is not at fault and is freed; the caller is
    /// offered to another agent first (a transfer fails and the first agent keeps the customer).
    /// </summary>
    public async Task DialFailedAsync(string agentId, string conferenceName, DialRole role, CancellationToken cancellationToken)
    {
        var record = await conferences.GetAsync(conferenceName);
        if (record is not null && role == DialRole.FirstAgent && record.FirstAgent is null)
        {
            await router.RouteCallerAsync(conferenceName, cancellationToken, alreadyWaiting: true);
        }
        else if (record is not null && role == DialRole.TransferAgent && record.TransferAgent == agentId)
        {
            await TransferLegEndedAsync(record, "failed", missed: true, cancellationToken);
        }

        if ((await agents.GetAsync(agentId)).ConferenceName == conferenceName)
        {
            await router.AgentFreeAsync(agentId, cancellationToken);
        }

        await updates.PublishAsync([role == DialRole.TransferAgent ? record?.FirstAgent : null], cancellationToken);
    }

    private async Task TransferLegEndedAsync(ConferenceRecord record, string status, bool missed, CancellationToken cancellationToken)
    {
        if (missed && record.TransferState == TransferState.Ringing)
        {
            await conferences.SetAsync(record.Name, ("transferState", TransferState.Failed), ("transferFailure", status));
        }

        if (record.TransferState is not (TransferState.Ringing or TransferState.Cancelled))
        {
            return;
        }

        if (record.FirstAgent is null)
        {
            // A blind transfer failed: the customer, on hold, goes to the next available agent.
            await router.RouteCallerAsync(record.Name, cancellationToken, alreadyWaiting: true);
        }
        else if (record.CustomerOnHold)
        {
            // The first agent keeps the customer, off hold again.
            await CommandAsync(record, CallAction.ResumeCustomer, null, cancellationToken);
        }
    }

    /// <summary>An agent joined the customer's conference.</summary>
    public async Task AgentJoinedAsync(ConferenceRecord record, string agentId, string callSid, CancellationToken cancellationToken)
    {
        await agents.JoinedAsync(agentId, record.Name, callSid);
        if (record.ConnectedAt is null)
        {
            metrics.Answered(time.GetUtcNow() - record.CreatedAt);
        }

        if (agentId == record.TransferAgent && record.FirstAgent is null)
        {
            // The first agent had already gone: the colleague takes the customer over.
            await conferences.SetAsync(record.Name, ("transferState", TransferState.Completed), ("firstAgent", agentId));
            metrics.TransferCompleted();
        }
        else if (agentId == record.TransferAgent)
        {
            await conferences.SetAsync(record.Name, ("transferState", TransferState.Consulting));
        }
        else
        {
            // A caller offered again keeps the time they were first connected.
            await conferences.SetAsync(record.Name, record.ConnectedAt is null
                ? [("state", ConferenceState.Connected), ("firstAgent", agentId), ("connectedAt", conferences.Now())]
                : [("state", ConferenceState.Connected), ("firstAgent", agentId)]);
        }

        if (record.UnholdOnJoin)
        {
            await conferences.SetAsync(record.Name, ("unholdOnJoin", "false"));
            await CommandAsync(record, CallAction.ResumeCustomer, null, cancellationToken);
        }
    }

    /// <summary>An agent left the conference while the customer is still in it.</summary>
    public async Task AgentLeftAsync(ConferenceRecord record, string agentId, CancellationToken cancellationToken)
    {
        if (record.Ending || agentId != record.FirstAgent)
        {
            return;
        }

        switch (record.TransferState)
        {
            case TransferState.Consulting:
                await conferences.SetAsync(record.Name, ("transferState", TransferState.Completed), ("firstAgent", record.TransferAgent!));
                metrics.TransferCompleted();
                break;
            case TransferState.Ringing:
                // The transfer becomes blind: hold music until the colleague (or, failing that, the next agent) joins.
                logger.LogInformation("Agent {AgentId} left {ConferenceName} before {TransferAgent} answered: the customer is held for them",
                    agentId, record.Name, record.TransferAgent);
                await conferences.SetAsync(record.Name, ("firstAgent", string.Empty), ("unholdOnJoin", "true"));
                await CommandAsync(record, CallAction.HoldCustomer, null, cancellationToken);
                break;
            default:
                // The agent's leg dropped with the customer still there: hold music, and the next available agent.
                logger.LogWarning("Agent {AgentId} dropped from {ConferenceName}: the customer is held and offered to the next agent",
                    agentId, record.Name);
                await conferences.SetAsync(record.Name, ("firstAgent", string.Empty), ("unholdOnJoin", "true"));
                await CommandAsync(record, CallAction.HoldCustomer, null, cancellationToken);
                await router.RouteCallerAsync(record.Name, cancellationToken, alreadyWaiting: true);
                break;
        }
    }

    /// <summary>The customer hung up (or the conference ended): their place in line goes, agent legs still ringing are cancelled.</summary>
    public async Task CustomerLeftAsync(string conferenceName, CancellationToken cancellationToken)
    {
        var record = await conferences.GetAsync(conferenceName);
        if (await conferences.DeleteAsync(conferenceName))
        {
            metrics.CallerLeftLine();
        }

        if (record is null)
        {
            return;
        }

        foreach (var agentId in new[] { record.OfferedAgent, record.FirstAgent, record.TransferAgent }.OfType<string>().Distinct())
        {
            // A ringing leg with no call yet is freed by the worker, which finds the conference gone before dialing.
            if (await agents.GetAsync(agentId) is { Status: AgentStatus.Ringing, CallSid: { } callSid } agent && agent.ConferenceName == conferenceName)
            {
                logger.LogInformation("Customer left {ConferenceName}: cancelling {AgentId}'s ringing call {CallSid}", conferenceName, agentId, callSid);
                await CommandAsync(record, CallAction.CancelCall, callSid, cancellationToken);
            }
        }
    }

    private Task CommandAsync(ConferenceRecord record, CallAction action, string? callSid, CancellationToken cancellationToken) =>
        work.PublishAsync(new CallCommand(Guid.NewGuid().ToString("N"), action, record.Name, callSid, record.ConferenceSid), cancellationToken);
}
