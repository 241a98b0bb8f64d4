using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.CallCenter.Messaging;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>What the server pushes to an agent's page.</summary>
public interface IAgentClient
{
    /// <summary>The agent's whole view, sent on connect and whenever it changes.</summary>
    Task View(AgentView view);

    /// <summary>
    /// Who is free for a transfer, the longest idle first (at most <see cref="AgentViews.OfferedColleagues"/> and the agent
    /// themselves), to a page that shows a call (<see cref="AgentHub.WatchColleagues"/>): sent when it starts watching and whenever
    /// the list changed, at most every <see cref="ReplicaBroadcaster.Interval"/> of <see cref="ColleagueBroadcaster"/>.
    /// </summary>
    Task Available(IReadOnlyList<Colleague> colleagues);
}

/// <summary>
/// Each signed-in agent's page listens here, and proves itself alive: it sends a heartbeat with its softphone's state every few
/// seconds and at once when that changes. An agent is routable only while those heartbeats are fresh and say the softphone is
/// registered and free; a page that disconnects makes its agent unroutable at once. SignalR's user is the agent id (the name
/// identifier claim), so a push to one agent reaches only their own pages, on whichever portal replica they are connected.
/// </summary>
[Authorize]
public sealed class AgentHub(
    AgentViews views, ColleagueBroadcaster colleagues, AgentStore agents, CallSessions calls, IDialRequestPublisher work, IOptionsMonitor<AgentDirectoryOptions> directory) : Hub<IAgentClient>
{
    public const string Path = "/hubs/agent";

    private string AgentId => Context.User!.FindFirstValue(ClaimTypes.NameIdentifier)!;

    private const string WatchingColleagues = "wt:watching-colleagues";

    public override async Task OnConnectedAsync()
    {
        var view = await views.BuildAsync(AgentId);
        await Clients.Caller.View(view);
        // A page that reconnects during a call gets the free colleagues without asking again.
        await WatchColleagues(view.Call is not null);
        await base.OnConnectedAsync();
    }

    /// <summary>
    /// The page shows a call (<paramref name="watching"/>), or no longer does: only then does it need who is free for a transfer.
    /// Pushing the list to every open page made what a call costs the portal grow with the agents signed in.
    /// </summary>
    public async Task WatchColleagues(bool watching)
    {
        if (Context.Items.ContainsKey(WatchingColleagues) == watching)
        {
            return;
        }

        if (watching)
        {
            // Counted once in the group: a failed join leaves the page as it was, to ask again.
            await Groups.AddToGroupAsync(Context.ConnectionId, colleagues.Group);
            Context.Items[WatchingColleagues] = true;
            colleagues.Connected();
        }
        else
        {
            Context.Items.Remove(WatchingColleagues);
            colleagues.Disconnected();
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, colleagues.Group);
        }
    }

    /// <summary>The page is alive; <paramref name="softphone"/> is registered, busy (on a call of its own) or unregistered.</summary>
    public async Task Heartbeat(string softphone)
    {
        if (!SoftphoneState.IsKnown(softphone))
        {
            throw new HubException("softphone must be registered, busy or unregistered.");
        }

        await ReportAsync(softphone);
    }

    /// <summary>
    /// The agent declined the call they were rung with. Twilio's status callback says so too, but may never come: the worker
    /// asks Twilio at once, so the caller goes to the next agent without waiting for reconciliation. Only the leg the agent is
    /// rung on now is looked up, whatever the page names.
    /// </summary>
    public async Task Declined(string callSid)
    {
        if (await agents.GetAsync(AgentId) is { Status: AgentStatus.Ringing, SessionId: { } sessionId, LegId: { } legId })
        {
            await work.PublishAsync(new CallCommand($"{sessionId}.{legId}.declined", CallAction.CheckLeg, sessionId, legId, null, null), CancellationToken.None);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.ContainsKey(WatchingColleagues))
        {
            colleagues.Disconnected();
        }

        // A closed tab or a lost connection: nobody is there to answer a call.
        await ReportAsync(softphone: null);
        await base.OnDisconnectedAsync(exception);
    }

    private async Task ReportAsync(string? softphone)
    {
        var agentId = AgentId;
        var legId = CallSessions.NewLegId();
        var change = await agents.HeartbeatAsync(agentId, Context.ConnectionId, softphone, directory.CurrentValue.Find(agentId)?.WrapUpSeconds, legId);
        // Not the connection's token: a disconnecting page's report must still be carried out.
        await calls.AgentChangedAsync(agentId, change, legId, CancellationToken.None);
    }
}
