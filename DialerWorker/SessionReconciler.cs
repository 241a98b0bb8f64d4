using StackExchange.Redis;
using Twilio.Clients;
using WarmTransfer.CallCenter.Domain;
using WarmTransfer.CallCenter.Routing;
using WarmTransfer.CallCenter.State;

namespace WarmTransfer.DialerWorker;

/// <summary>
/// Twilio loses callbacks, and Redis outlives the calls it describes (a restart of the whole system): every 10 s one worker
/// replica (a Redis lock) asks Twilio for the truth about every quiet session and every busy agent, and feeds it to the
/// sessions as events. Nobody stays ringing or in call without a live leg, and a caller whose call is gone leaves the line.
/// </summary>
public sealed class SessionReconciler(
    SessionStore sessions,
    AgentStore agents,
    CallSessions calls,
    LegCheck legs,
    IConnectionMultiplexer redis,
    ITwilioRestClient twilio,
    TimeProvider time,
    ILogger<SessionReconciler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>A session or agent this long without a change is checked against Twilio.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    private const int Batch = 200;

    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                if (await redis.GetDatabase().StringSetAsync(RedisKeys.ReconcilerLock, _owner, Interval - TimeSpan.FromSeconds(1), When.NotExists))
                {
                    await ReconcileAsync(stoppingToken);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Reconciliation did not finish; it runs again in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var checkedSessions = 0;
        var inLine = (await agents.WaitingAsync()).Concat(await agents.WaitingTransfersAsync()).ToHashSet(StringComparer.Ordinal);
        foreach (var sessionId in await sessions.QuietAsync(Quiet, Batch))
        {
            await ReconcileSessionAsync(sessionId, inLine, cancellationToken);
            checkedSessions++;
        }

        var freed = 0;
        var quietSince = time.GetUtcNow() - Quiet;
        foreach (var agent in await agents.AllAsync())
        {
            if (agent is not { Status: AgentStatus.Ringing or AgentStatus.InCall, SessionId: { } sessionId, LegId: { } legId } || agent.Since >= quietSince)
            {
                continue;
            }

            // A session busy with other events is never quiet: a busy agent's own leg is checked with Twilio.
            var session = await sessions.GetAsync(sessionId);
            if (session?.Leg(legId) is { IsLive: true } leg)
            {
                session = await legs.CheckAsync(session, leg, cancellationToken);
            }

            if (session?.Leg(legId) is not { IsLive: true })
            {
                logger.LogWarning("Agent {AgentId} was {Status} for leg {LegId} of session {SessionId}, which is over: freed",
                    agent.AgentId, agent.Status, legId, sessionId);
                await calls.FreeAgentAsync(agent.AgentId, legId, away: false, cancellationToken);
                freed++;
            }
        }

        foreach (var (sessionId, session) in await ReadAllAsync(await agents.WaitingAsync()))
        {
            if (session is not { IsEnded: false })
            {
                logger.LogWarning("Caller {SessionId} was in line with no call: removed", sessionId);
                await agents.LeaveLineAsync(sessionId);
            }
        }

        foreach (var (sessionId, session) in await ReadAllAsync(await agents.WaitingTransfersAsync()))
        {
            if (session is not { IsEnded: false, Transfer.Outcome: TransferOutcome.Waiting })
            {
                logger.LogWarning("Session {SessionId} was in the priority line with no transfer waiting: removed", sessionId);
                await agents.LeaveLineAsync(sessionId);
            }
        }

        if (checkedSessions > 0 || freed > 0)
        {
            logger.LogInformation("Reconciled {Sessions} quiet sessions with Twilio; {Freed} agents freed", checkedSessions, freed);
        }
    }

    /// <summary>
    /// The sessions of a line, read a batch at a time with every read of a batch in flight at once: one round trip per batch
    /// rather than per caller, however long the line.
    /// </summary>
    private async Task<List<(string Id, CallSession? Session)>> ReadAllAsync(IReadOnlyList<string> sessionIds)
    {
        var read = new List<(string, CallSession?)>(sessionIds.Count);
        foreach (var batch in sessionIds.Chunk(Batch))
        {
            var sessionsRead = await Task.WhenAll(batch.Select(sessions.GetAsync));
            read.AddRange(batch.Zip(sessionsRead));
        }

        return read;
    }

    private async Task ReconcileSessionAsync(string sessionId, IReadOnlySet<string> inLine, CancellationToken cancellationToken)
    {
        if (await sessions.GetAsync(sessionId) is not { } session)
        {
            await sessions.ForgetAsync(sessionId);
            return;
        }

        // Events its last write could not copy to the queue log; an ended session stays open only until they are copied.
        await sessions.CopyPendingEventsAsync(sessionId);
        if (session.IsEnded)
        {
            await sessions.ForgetAsync(sessionId);
            return;
        }

        if (session is { IsEnded: false, CustomerOnCall: true, CustomerCallSid: { } customerCall } && await TwilioCalls.IsOverAsync(twilio, customerCall))
        {
            logger.LogWarning("Customer call {CallSid} of {SessionId} is over at Twilio", customerCall, sessionId);
            session = (await calls.HandleAsync(sessionId, new SessionEvent.CustomerLeft(CallSid: customerCall), cancellationToken))?.Session ?? session;
        }

        if (session is { IsEnded: false, Callback: { Status: CallbackStatus.Calling, AttemptId: { } attemptId, CallSid: { } callbackCall } })
        {
            // The callback's call to the customer, as Twilio has it (its own callbacks may be lost).
            var status = await TwilioCalls.StatusAsync(twilio, callbackCall);
            var truth = status is null ? LegCallStatus.Canceled : LegCallStatuses.TryParse(status.ToString(), out var parsed) ? parsed : (LegCallStatus?)null;
            if (truth is { } known)
            {
                session = (await calls.HandleAsync(sessionId, new SessionEvent.CustomerCallProgress(attemptId, callbackCall, known), cancellationToken))?.Session
                    ?? session;
            }
        }

        if (session is { IsEnded: false, Callback: { Status: CallbackStatus.Waiting, RetryAt: { } retryAt } } && retryAt <= time.GetUtcNow())
        {
            logger.LogWarning("The missed callback of {SessionId} was due at {RetryAt}: back to the front of the line", sessionId, retryAt);
            await calls.HandleAsync(sessionId, new SessionEvent.CallbackDue(), cancellationToken);
            await sessions.TouchAsync(sessionId);
            return;
        }

        foreach (var leg in session.Legs.Where(leg => leg.IsLive))
        {
            await legs.CheckAsync(session, leg, cancellationToken);
        }

        // A missed callback waits outside the line until it is due.
        if (session is { IsEnded: false, Phase: CallPhase.Waiting, Callback: null or { RetryAt: null } } && !inLine.Contains(sessionId))
        {
            // Waiting with no place in line (the offer after a failure was lost): back at the front.
            logger.LogWarning("Caller {SessionId} waited outside the line: offered again", sessionId);
            await calls.OfferAsync(sessionId, front: true, cancellationToken);
        }

        if (session is { IsEnded: false, Transfer.Outcome: TransferOutcome.Waiting } && !inLine.Contains(sessionId))
        {
            logger.LogWarning("The transfer of {SessionId} waited outside the priority line: it looks for a colleague again", sessionId);
            await calls.FindColleagueAsync(sessionId, cancellationToken);
        }

        await sessions.TouchAsync(sessionId);
    }
}
