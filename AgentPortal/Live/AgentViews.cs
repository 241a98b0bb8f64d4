using Microsoft.Extensions.Options;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>Builds agents' views from Redis: their state in the line, and the call session they are on.</summary>
public sealed class AgentViews(AgentStore agents, SessionStore sessions, IOptionsMonitor<AgentDirectoryOptions> directory)
{
    public string DisplayName(string agentId) => directory.CurrentValue.Find(agentId)?.DisplayName ?? agentId;

    /// <summary>How many free colleagues a page is offered for a transfer, the longest idle; "next free colleague" reaches any.</summary>
    public const int OfferedColleagues = 25;

    /// <summary>The <see cref="OfferedColleagues"/> agents available longest, longest idle first.</summary>
    public async Task<IReadOnlyList<Colleague>> AvailableAsync() =>
        [.. (await agents.AvailableAgentsAsync(OfferedColleagues + 1)).Select(id => new Colleague(id, DisplayName(id)))];

    public async Task<AgentView> BuildAsync(string agentId)
    {
        var agent = await agents.GetAsync(agentId);
        var summary = new AgentSummary(agentId, DisplayName(agentId), agent.Status, agent.Presence, agent.Reason, agent.Since, agent.WrapUpEndsAt,
            agent is { Status: AgentStatus.WrapUp, WrapUpExtended: false }, agent.Softphone);
        var session = agent is { Status: AgentStatus.Ringing or AgentStatus.InCall, SessionId: { } id } ? await sessions.GetAsync(id) : null;
        var leg = agent.LegId is { } legId ? session?.Leg(legId) : null;
        return new AgentView(summary, session is { IsEnded: false } && leg is { IsLive: true, Withdrawn: false, LeaveRequested: false }
            ? Call(agent, session, leg)
            : null);
    }

    private CallView Call(AgentState agent, CallSession session, AgentLeg leg)
    {
        var inCall = session.Legs
            .Where(l => l.IsLive && !l.Withdrawn && !l.LeaveRequested)
            .Select(l => new CallAgent(l.AgentId, DisplayName(l.AgentId), l.HasAnswered ? AgentStatus.InCall : AgentStatus.Ringing))
            .ToList();
        var owner = leg.Id == session.OwnerLegId;
        // The owner sees the transfer they asked for, not one an earlier owner made.
        var transfer = owner && session.Transfer is { } made && made.FromAgentId == agent.AgentId
            ? new TransferView(made.ToAgentId, made.ToAgentId is { } to ? DisplayName(to) : null, Words(made.Outcome),
                made.Failure is { } failure ? Words(failure) : null, made.AskedAt)
            : null;
        // A transfer that comes back to the agent who asked for it (they were the first freed) is their customer again, not a handover.
        var forMe = session.Transfer is { } asked && asked.ConsultantLegId == leg.Id && asked.FromAgentId != agent.AgentId ? asked : null;
        return new CallView(session.Id, session.Customer.Number, owner || leg.Role == AgentRole.Owner ? "owner" : "consultant", agent.Status,
            session.Customer.OnHold, session.ConnectedAt, inCall, transfer, session.Problem,
            forMe is null ? null : DisplayName(forMe.FromAgentId), forMe?.Note,
            session.Callback is { } callback
                ? new CallbackView(callback.Status switch
                {
                    CallbackStatus.Calling => "calling",
                    CallbackStatus.Answered => "answered",
                    _ => "waiting",
                }, session.CreatedAt, callback.Attempts, callback.MaxAttempts)
                : null);
    }

    private static string Words(TransferOutcome outcome) => outcome switch
    {
        TransferOutcome.Waiting => "waiting",
        TransferOutcome.Ringing => "ringing",
        TransferOutcome.Consulting => "consulting",
        TransferOutcome.Completed => "completed",
        TransferOutcome.Cancelled => "cancelled",
        _ => "failed",
    };

    private static string Words(TransferFailure failure) => failure switch
    {
        TransferFailure.Declined => "declined",
        TransferFailure.NoAnswer => "no-answer",
        TransferFailure.Left => "left",
        TransferFailure.Dropped => "dropped",
        TransferFailure.Offline => "offline",
        _ => "failed",
    };
}
