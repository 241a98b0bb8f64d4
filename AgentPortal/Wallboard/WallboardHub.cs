using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using WarmTransfer.AgentPortal.Agents;
using WarmTransfer.AgentPortal.Live;

namespace WarmTransfer.AgentPortal.Wallboard;

/// <summary>Supervisors' wallboards listen here: the view on connect, then every second (<see cref="WallboardBroadcaster"/>).</summary>
[Authorize(Policy = AgentRoles.SupervisorPolicy)]
public sealed class WallboardHub(WallboardBroadcaster broadcaster, WallboardFigures figures) : Hub
{
    public const string Path = "/hubs/wallboard";

    public const string Message = "wallboard";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, broadcaster.Group);
        broadcaster.Connected();
        await Clients.Caller.SendAsync(Message, await figures.BuildAsync());
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        broadcaster.Disconnected();
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Every second, while a wallboard is open on this replica, the figures are built once and pushed to this replica's wallboards.</summary>
public sealed class WallboardBroadcaster(IHubContext<WallboardHub> hub, WallboardFigures figures, ILogger<WallboardBroadcaster> logger)
    : ReplicaBroadcaster(TimeSpan.FromSeconds(1), "wallboard", "The wallboard", logger)
{
    protected override async Task PushAsync(CancellationToken cancellationToken) =>
        await hub.Clients.Group(Group).SendAsync(WallboardHub.Message, await figures.BuildAsync(), cancellationToken);
}
