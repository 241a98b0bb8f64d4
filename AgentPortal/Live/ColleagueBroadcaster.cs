using Microsoft.AspNetCore.SignalR;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Pushes who is free for a transfer to this replica's agent pages that show a call (<see cref="AgentHub.WatchColleagues"/>):
/// each tick it reads the list once and sends it when it changed, or when a page started watching since the last push. One loop
/// sends every list a page gets, so a page never receives an older list after a newer one; and the cost is a read a tick and a
/// push per change to the pages with a call, however many agents update or are signed in.
/// </summary>
public sealed class ColleagueBroadcaster(IHubContext<AgentHub, IAgentClient> hub, AgentViews views, ILogger<ColleagueBroadcaster> logger)
    : ReplicaBroadcaster(TimeSpan.FromMilliseconds(250), "agents", "The free colleagues", logger)
{
    private int _joins;
    private int _joinsPushed;
    private IReadOnlyList<Colleague> _sent = [];

    /// <summary>A page started watching (joined <see cref="ReplicaBroadcaster.Group"/>): it gets the list at the next tick.</summary>
    public override void Connected()
    {
        Interlocked.Increment(ref _joins);
        base.Connected();
    }

    protected override async Task PushAsync(CancellationToken cancellationToken)
    {
        var joins = Volatile.Read(ref _joins);
        var available = await views.AvailableAsync();
        if (joins != _joinsPushed || !available.SequenceEqual(_sent))
        {
            await hub.Clients.Group(Group).Available(available);
            // Only a push that went out counts: a failed one is made again at the next tick.
            _sent = available;
            _joinsPushed = joins;
        }
    }
}
