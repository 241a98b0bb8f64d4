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

    public static RedisKey DialDone(string requestId) => $"wt:dial:{requestId}";
}
