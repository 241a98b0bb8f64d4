using Microsoft.Extensions.Logging;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Routing;

/// <summary>Decides who is dialed: the longest-idle agent for a new caller, the longest-waiting caller for a freed agent.</summary>
/// <remarks>Every agent it dials or frees is told (an agent update), so their page shows it wherever the change came from.</remarks>
public sealed class CallRouter(
    AgentStore agents, ConferenceStore conferences, IDialRequestPublisher dialer, IAgentUpdatePublisher updates, CallCenterMetrics metrics,
    TimeProvider time, ILogger<CallRouter> logger)
{
    /// <summary>
    /// A caller needs an agent: the longest-idle agent is dialed, or the caller waits in line.
    /// A caller whose offer failed (<paramref name="alreadyWaiting"/>) keeps their place at the front of the line.
    /// </summary>
    public async Task RouteCallerAsync(string conferenceName, CancellationToken cancellationToken, bool alreadyWaiting = false)
    {
        if (await agents.ClaimLongestIdleAgentAsync(conferenceName, alreadyWaiting) is { } agentId)
        {
            await DialAsync(conferenceName, agentId, DialRole.FirstAgent, cancellationToken);
            return;
        }

        metrics.CallerQueued();
        logger.LogInformation("No agent available: caller {ConferenceName} waits in line", conferenceName);
    }

    /// <summary>An agent is free again: the longest-waiting caller is offered to them, or they join the idle line.</summary>
    public async Task AgentFreeAsync(string agentId, CancellationToken cancellationToken)
    {
        if (await agents.GoAvailableAsync(agentId) is { } conferenceName)
        {
            metrics.CallerLeftLine();
            logger.LogInformation("Waiting caller {ConferenceName} offered to {AgentId}", conferenceName, agentId);
            await DialAsync(conferenceName, agentId, DialRole.FirstAgent, cancellationToken);
        }
        else
        {
            await updates.PublishAsync([agentId], cancellationToken);
        }
    }

    public async Task DialAsync(string conferenceName, string agentId, DialRole role, CancellationToken cancellationToken)
    {
        metrics.CallOffered();
        if (role == DialRole.FirstAgent)
        {
            await conferences.SetAsync(conferenceName, ("offeredAgent", agentId));
        }

        await dialer.PublishAsync(new DialRequest(Guid.NewGuid().ToString("N"), conferenceName, agentId, role, time.GetUtcNow()), cancellationToken);
        await updates.PublishAsync([agentId], cancellationToken);
    }
}
