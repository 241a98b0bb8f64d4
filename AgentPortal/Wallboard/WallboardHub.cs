using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using WarmTransfer.AgentPortal.Agents;

namespace WarmTransfer.AgentPortal.Wallboard;

/// <summary>Supervisors' wallboards listen here: the view on connect, then every second (<see cref="WallboardBroadcaster"/>).</summary>
[Authorize(Policy = AgentRoles.SupervisorPolicy)]
public sealed class WallboardHub(WallboardBroadcaster broadcaster, WallboardFigures figures) : Hub
{
    public const string Path = "/hubs/wallboard";

    public const string Message = "wallboard";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, WallboardBroadcaster.Group);
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

/// <summary>
/// Every second, while a wallboard is open on this replica, the figures are built once and pushed to this replica's wallboards
/// (a group of its own: with the Redis backplane, each wallboard hears one replica, not all of them).
/// </summary>
public sealed class WallboardBroadcaster(IHubContext<WallboardHub> hub, WallboardFigures figures, ILogger<WallboardBroadcaster> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static readonly string Group = $"wallboard:{Environment.MachineName}:{Environment.ProcessId}";

    private int _open;

    public void Connected() => Interlocked.Increment(ref _open);

    public void Disconnected() => Interlocked.Decrement(ref _open);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (Volatile.Read(ref _open) <= 0)
            {
                continue;
            }

            try
            {
                await hub.Clients.Group(Group).SendAsync(WallboardHub.Message, await figures.BuildAsync(), stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "The wallboard was not pushed; it is again in {Interval}", Interval);
            }
        }
    }
}
