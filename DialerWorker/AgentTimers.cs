using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// The agents' timers, kept in Redis so they outlive pages and services: every second, each agent whose heartbeat expired,
/// whose softphone's grace ran out or whose wrap-up ended is settled; an agent freed by it takes the waiting transfer or
/// caller. And an agent still ringing after Twilio has surely stopped ringing them has their leg looked up at once: its
/// final callback was lost, and their caller should not wait for the next reconciliation. Every replica sweeps; each
/// agent's change is one script, so two sweeps never both act on it.
/// </summary>
public sealed class AgentTimers(
    AgentStore agents, SessionStore sessions, CallSessions calls, LegCheck legs, IOptions<DialerOptions> options, TimeProvider time,
    ILogger<AgentTimers> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Twilio rings a client for the call's Timeout plus about this long.</summary>
    private static readonly TimeSpan ClientRingBuffer = TimeSpan.FromSeconds(5);

    /// <summary>How long after Twilio's ring ends an agent still ringing is looked up, and again after that.</summary>
    private static readonly TimeSpan RingCheckMargin = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RingCheckAgain = TimeSpan.FromSeconds(5);

    private const int Batch = 50;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _ringChecked = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var legIds = Enumerable.Range(0, Batch).Select(_ => CallSessions.NewLegId()).ToList();
                foreach (var (agentId, legId, change) in await agents.SweepAsync(legIds))
                {
                    try
                    {
                        // Redis has changed: what it led to is carried out, even while the worker stops.
                        await calls.AgentChangedAsync(agentId, change, legId, CancellationToken.None);
                    }
                    catch (Exception exception)
                    {
                        // The session the agent was taken for is found by reconciliation, and the agent freed.
                        logger.LogWarning(exception, "Agent {AgentId}'s change was not carried out", agentId);
                    }
                }

                await CheckLongRingsAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "The agents' timers were not swept; they are again in {Interval}", Interval);
            }
        }
    }

    private async Task CheckLongRingsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rungOut = now - TimeSpan.FromSeconds(options.Value.RingTimeoutSeconds) - ClientRingBuffer - RingCheckMargin;
        foreach (var agent in await agents.AllAsync())
        {
            if (agent is not { Status: AgentStatus.Ringing, SessionId: { } sessionId, LegId: { } legId } || agent.Since > rungOut
                || _ringChecked.TryGetValue(legId, out var checkedAt) && checkedAt > now - RingCheckAgain)
            {
                continue;
            }

            _ringChecked[legId] = now;
            if (await sessions.GetAsync(sessionId) is { } session && session.Leg(legId) is { IsLive: true, HasAnswered: false } leg)
            {
                logger.LogInformation("Agent {AgentId} still rings for leg {LegId} of {SessionId} after Twilio's ring time: asking Twilio", agent.AgentId, legId,
                    sessionId);
                await legs.CheckAsync(session, leg, cancellationToken);
            }
        }

        foreach (var (legId, at) in _ringChecked)
        {
            if (at < now - TimeSpan.FromMinutes(5))
            {
                _ringChecked.TryRemove(legId, out _);
            }
        }
    }
}
