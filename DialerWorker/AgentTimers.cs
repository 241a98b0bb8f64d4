using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// The agents' timers, kept in Redis so they outlive pages and services: every second, each agent whose heartbeat expired,
/// whose softphone's grace ran out or whose wrap-up ended is settled. An agent freed by it takes the waiting transfer or caller.
/// Every replica sweeps; each agent's change is one script, so two sweeps never both act on it.
/// </summary>
public sealed class AgentTimers(AgentStore agents, CallSessions calls, TimeProvider time, ILogger<AgentTimers> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int Batch = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var legs = Enumerable.Range(0, Batch).Select(_ => CallSessions.NewLegId()).ToList();
                foreach (var (agentId, legId, change) in await agents.SweepAsync(legs))
                {
                    await calls.AgentChangedAsync(agentId, change, legId, stoppingToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "The agents' timers were not swept; they are again in {Interval}", Interval);
            }
        }
    }
}
