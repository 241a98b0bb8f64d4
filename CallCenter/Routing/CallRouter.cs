using Microsoft.Extensions.Logging;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.CallCenter.Routing;

/// <summary>Decides who is dialed: the longest-idle agent for a new caller, the longest-waiting caller for a freed agent.</summary>
public sealed class CallRouter(
    AgentStore agents, IDialRequestPublisher dialer, CallCenterMetrics metrics, TimeProvider time, ILogger<CallRouter> logger)
{
    /// <summary>A new caller: the longest-idle agent is dialed (and returned), or the caller waits in line (null).</summary>
    public async Task<string?> RouteCallerAsync(string conferenceName, CancellationToken cancellationToken)
    {
        if (await agents.ClaimLongestIdleAgentAsync(conferenceName) is { } agentId)
        {
            await DialAsync(conferenceName, agentId, DialRole.FirstAgent, cancellationToken);
            return agentId;
        }

        metrics.CallerQueued();
        logger.LogInformation("No agent available: caller {ConferenceName} waits in line", conferenceName);
        return null;
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
    }

    public Task DialAsync(string conferenceName, string agentId, DialRole role, CancellationToken cancellationToken)
    {
        metrics.CallOffered();
        return dialer.PublishAsync(new DialRequest(Guid.NewGuid().ToString("N"), conferenceName, agentId, role, time.GetUtcNow()), cancellationToken);
    }
}
