using Microsoft.AspNetCore.SignalR;

namespace WarmTransfer.AgentPortal.Live;

/// <summary>
/// Pushes who is free for a transfer to this replica's agent pages (a group of its own, as the wallboard's): each tick it reads
/// the list once and sends it when it changed, or when a page connected since. One loop sends every list a page gets, so a
/// page never receives an older list after a newer one; and the cost is a read a tick and a push per change, however many
/// agents update or are signed in.
/// </summary>
public sealed class ColleagueBroadcaster(IHubContext<AgentHub, IAgentClient> hub, AgentViews views, ILogger<ColleagueBroadcaster> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public static readonly string Group = $"agents:{Environment.MachineName}:{Environment.ProcessId}";

    private int _open;
    private int _joined;
    private IReadOnlyList<Colleague> _sent = [];

    /// <summary>A page joined <see cref="Group"/>: it gets the list at the next tick.</summary>
    public void Connected()
    {
        Interlocked.Increment(ref _open);
        Volatile.Write(ref _joined, 1);
    }

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
                var joined = Interlocked.Exchange(ref _joined, 0) == 1;
                var available = await views.AvailableAsync();
                if (joined || !available.SequenceEqual(_sent))
                {
                    await hub.Clients.Group(Group).Available(available);
                    _sent = available;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Volatile.Write(ref _joined, 1);
                logger.LogWarning(exception, "The free colleagues were not pushed; they are again in {Interval}", Interval);
            }
        }
    }
}
