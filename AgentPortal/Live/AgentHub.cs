using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>What the server pushes to an agent's page.</summary>
public interface IAgentClient
{
    /// <summary>The agent's whole view, sent on connect and whenever it changes.</summary>
    Task View(AgentView view);

    /// <summary>Who is available for a transfer right now, sent to every agent when it changes.</summary>
    Task Available(IReadOnlyList<Colleague> colleagues);
}

/// <summary>
/// Each signed-in agent's page listens here. SignalR's user is the agent id (the name identifier claim), so a push
/// to one agent reaches only their own pages, on whichever portal replica they are connected.
/// </summary>
[Authorize]
public sealed class AgentHub(AgentViews views) : Hub<IAgentClient>
{
    public const string Path = "/hubs/agent";

    public override async Task OnConnectedAsync()
    {
        var agentId = Context.User!.FindFirstValue(ClaimTypes.NameIdentifier)!;
        await Clients.Caller.View(await views.BuildAsync(agentId));
        await base.OnConnectedAsync();
    }
}
