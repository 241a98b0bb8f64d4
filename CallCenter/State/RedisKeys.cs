using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

/// <summary>Every Redis key the call center uses, built in one place.</summary>
public static class RedisKeys
{
    /// <summary>Available agents, scored by the time they became idle: the lowest score has waited longest.</summary>
    public static readonly RedisKey AvailableAgents = "wt:agents:available";

    /// <summary>Conferences of callers waiting for an agent, first come first served.</summary>
    public static readonly RedisKey WaitingCallers = "wt:callers:waiting";

    public static RedisKey Agent(string agentId) => $"wt:agent:{agentId}";

    /// <summary>The conference an agent is in or being dialed into.</summary>
    public static RedisKey AgentConference(string agentId) => $"wt:agent:{agentId}:conference";

    public static RedisKey Conference(string conferenceName) => $"wt:conference:{conferenceName}";

    /// <summary>A call session. The id in braces is the Redis Cluster hash tag: every key of one session lives in one slot.</summary>
    public static RedisKey Session(string sessionId) => $"wt:session:{{{sessionId}}}";

    /// <summary>A dial request's or call command's idempotency record: dialing (with a lease), dialed (with the CallSid), done or failed.</summary>
    public static RedisKey Dial(string requestId) => $"wt:dial:{requestId}";

    /// <summary>Messages for the dial queue kept while the broker was unreachable, oldest first.</summary>
    public static readonly RedisKey Outbox = "wt:outbox:dial";

    /// <summary>Call creations of the last second, across every worker: the account's calls-per-second budget.</summary>
    public static readonly RedisKey DialPace = "wt:dial:pace";
}
