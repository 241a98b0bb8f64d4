using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

/// <summary>
/// Every Redis key the call center uses, built in one place. The line's keys share the hash tag <c>{line}</c> (one Redis Cluster
/// slot, so routing is one script over keys it is given); each session's keys share its id as hash tag.
/// </summary>
public static class RedisKeys
{
    /// <summary>Available agents, scored by the time they became idle: the lowest score has waited longest.</summary>
    public static readonly RedisKey AvailableAgents = "wt:{line}:agents:available";

    /// <summary>Sessions of callers waiting for an agent, first come first served.</summary>
    public static readonly RedisKey WaitingCallers = "wt:{line}:callers:waiting";

    /// <summary>When each caller in <see cref="WaitingCallers"/> joined the line (ms since the epoch), by session.</summary>
    public static readonly RedisKey CallersJoined = "wt:{line}:callers:joined";

    /// <summary>When the line last gave a caller to an agent (ms since the epoch).</summary>
    public static readonly RedisKey CallerLastTaken = "wt:{line}:callers:last-taken";

    /// <summary>The line's recent service intervals, newest first, each "taken-at-ms:gap-ms": what wait estimates come from.</summary>
    public static readonly RedisKey ServiceIntervals = "wt:{line}:callers:intervals";

    /// <summary>What a waiting caller was last told (when, which position): in the session's slot.</summary>
    public static RedisKey Announced(string sessionId) => $"wt:session:{{{sessionId}}}:announced";

    /// <summary>When a waiting caller was last offered a callback (ms since the epoch): in the session's slot.</summary>
    public static RedisKey CallbackOffered(string sessionId) => $"wt:session:{{{sessionId}}}:callback-offered";

    /// <summary>
    /// What happened in the contact center (<see cref="Domain.ContactEvent"/>), oldest first, kept for
    /// <see cref="ContactEventLog.Retention"/>: the queue log the figures come from.
    /// </summary>
    public static readonly RedisKey ContactEvents = "wt:{line}:events";

    /// <summary>
    /// A session's contact events written with its transitions and not yet copied to <see cref="ContactEvents"/>, oldest first,
    /// each with the session version that made it: in the session's slot, so that a transition and its events are one write.
    /// </summary>
    public static RedisKey PendingContactEvents(string sessionId) => $"wt:session:{{{sessionId}}}:events";

    /// <summary>The highest version of a session whose events are in <see cref="ContactEvents"/>: in the line's slot, beside them.</summary>
    public static RedisKey CopiedContactEvents(string sessionId) => $"wt:{{line}}:events:copied:{sessionId}";

    /// <summary>Sessions whose owner waits for the next free colleague: served before any waiting caller.</summary>
    public static readonly RedisKey WaitingTransfers = "wt:{line}:transfers:waiting";

    /// <summary>Agents scored by the next moment their state must be looked at again (a heartbeat's expiry, a grace's or a wrap-up's end).</summary>
    public static readonly RedisKey AgentTimers = "wt:{line}:agents:timers";

    /// <summary>Every agent's state (presence, status, the session and leg they are on), one hash field per agent.</summary>
    public static readonly RedisKey Agents = "wt:{line}:agents";

    /// <summary>A call session. The id in braces is the Redis Cluster hash tag: every key of one session lives in one slot.</summary>
    public static RedisKey Session(string sessionId) => $"wt:session:{{{sessionId}}}";

    /// <summary>Sessions not ended yet, scored by their last change: what reconciliation sweeps.</summary>
    public static readonly RedisKey OpenSessions = "wt:sessions:open";

    /// <summary>Sessions whose callback was missed, scored by when it goes back to the front of the line (ms since the epoch).</summary>
    public static readonly RedisKey CallbacksDue = "wt:sessions:callbacks-due";

    /// <summary>Sessions whose customer is answered and whose call has not ended: the calls in progress.</summary>
    public static readonly RedisKey ConnectedSessions = "wt:sessions:connected";

    /// <summary>Sessions with a transfer asked for and not over.</summary>
    public static readonly RedisKey TransferringSessions = "wt:sessions:transferring";

    /// <summary>Held by the replica that reconciles now.</summary>
    public static readonly RedisKey ReconcilerLock = "wt:reconciler:lock";

    /// <summary>A dial request's idempotency record: dialing (with a lease), dialed (with the CallSid), done or failed.</summary>
    public static RedisKey Dial(string requestId) => $"wt:dial:{requestId}";

    /// <summary>Messages for the work queues kept while the broker was unreachable, oldest first.</summary>
    public static readonly RedisKey Outbox = "wt:outbox:dial";

    /// <summary>Outbox entries the relay gave up on (unreadable, or failing while the ones behind them went through), kept for a person to look at.</summary>
    public static readonly RedisKey OutboxSetAside = "wt:outbox:dial:set-aside";

    /// <summary>Call creations of the last second, across every worker: the account's calls-per-second budget.</summary>
    public static readonly RedisKey DialPace = "wt:dial:pace";
}
