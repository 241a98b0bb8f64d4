using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

public static class AgentStatus
{
    public const string Away = "away";
    public const string Available = "available";
    public const string Ringing = "ringing";
    public const string InCall = "in-call";
}

/// <param name="Presence">What the agent chose (available or away); <paramref name="Status"/> is what routing sees.</param>
public sealed record AgentState(string AgentId, string Status, string Presence, string? ConferenceName, string? CallSid);

/// <summary>Agent presence and who is in which conference. Claims are atomic Lua scripts: no agent is offered twice.</summary>
public sealed class AgentStore(IConnectionMultiplexer redis, TimeProvider time)
{
    // KEYS: available, waiting, agent hash, agent conference. ARGV: agent id, now.
    // An agent who chose away stays away; otherwise a waiting caller goes to them at once, or they join the idle line.
    private const string GoAvailableScript = """
        if redis.call('HGET', KEYS[3], 'presence') == 'away' then
          redis.call('ZREM', KEYS[1], ARGV[1])
          redis.call('HSET', KEYS[3], 'status', 'away')
          redis.call('HDEL', KEYS[3], 'conference', 'callSid')
          redis.call('DEL', KEYS[4])
          return false
        end
        local conference = redis.call('LPOP', KEYS[2])
        if conference then
          redis.call('ZREM', KEYS[1], ARGV[1])
          redis.call('HSET', KEYS[3], 'status', 'ringing', 'conference', conference)
          redis.call('SET', KEYS[4], conference)
          return conference
        end
        redis.call('HSET', KEYS[3], 'status', 'available')
        redis.call('HDEL', KEYS[3], 'conference', 'callSid')
        redis.call('DEL', KEYS[4])
        redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
        return false
        """;

    // KEYS: available, agent hash. ARGV: agent id.
    // Away takes effect at once when idle; on a call, when the call ends.
    private const string GoAwayScript = """
        redis.call('HSET', KEYS[2], 'presence', 'away')
        redis.call('ZREM', KEYS[1], ARGV[1])
        local status = redis.call('HGET', KEYS[2], 'status')
        if not status or status == 'available' then
          redis.call('HSET', KEYS[2], 'status', 'away')
        end
        return true
        """;

    // KEYS: available, waiting. ARGV: conference, agent key prefix, 'front' or 'back'.
    // The longest-idle agent is taken out of the line, or the caller joins the waiting line (at the front when they were
    // already waiting: an offer that failed does not cost them their place).
    private const string ClaimLongestIdleScript = """
        local agents = redis.call('ZRANGE', KEYS[1], 0, 0)
        if #agents == 0 then
          redis.call('LREM', KEYS[2], 0, ARGV[1])
          if ARGV[3] == 'front' then
            redis.call('LPUSH', KEYS[2], ARGV[1])
          else
            redis.call('RPUSH', KEYS[2], ARGV[1])
          end
          return false
        end
        local agent = agents[1]
        redis.call('ZREM', KEYS[1], agent)
        redis.call('HSET', ARGV[2] .. agent, 'status', 'ringing', 'conference', ARGV[1])
        redis.call('SET', ARGV[2] .. agent .. ':conference', ARGV[1])
        return agent
        """;

    // KEYS: available, agent hash, agent conference. ARGV: agent id, conference.
    private const string ClaimAgentScript = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
          return 0
        end
        redis.call('HSET', KEYS[2], 'status', 'ringing', 'conference', ARGV[2])
        redis.call('SET', KEYS[3], ARGV[2])
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>The agent is free: a waiting caller's conference to dial them into, or null when they join the idle line.</summary>
    public async Task<string?> GoAvailableAsync(string agentId)
    {
        var result = await Db.ScriptEvaluateAsync(GoAvailableScript,
            [RedisKeys.AvailableAgents, RedisKeys.WaitingCallers, RedisKeys.Agent(agentId), RedisKeys.AgentConference(agentId)],
            [agentId, time.GetUtcNow().ToUnixTimeMilliseconds()]);
        return result.IsNull ? null : (string?)result;
    }

    /// <summary>The agent wants calls again (effective now if idle, else when their call ends).</summary>
    public async Task ChooseAvailableAsync(string agentId) =>
        await Db.HashSetAsync(RedisKeys.Agent(agentId), "presence", AgentStatus.Available);

    public async Task GoAwayAsync(string agentId) =>
        await Db.ScriptEvaluateAsync(GoAwayScript, [RedisKeys.AvailableAgents, RedisKeys.Agent(agentId)], [agentId]);

    /// <summary>Takes the agent who has been idle longest for the conference; null when none is free (the caller waits in line).</summary>
    public async Task<string?> ClaimLongestIdleAgentAsync(string conferenceName, bool alreadyWaiting = false)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimLongestIdleScript,
            [RedisKeys.AvailableAgents, RedisKeys.WaitingCallers],
            [conferenceName, RedisKeys.Agent(string.Empty).ToString(), alreadyWaiting ? "front" : "back"]);
        return result.IsNull ? null : (string?)result;
    }

    /// <summary>Takes this agent for the conference if they are available.</summary>
    public async Task<bool> ClaimAgentAsync(string agentId, string conferenceName)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimAgentScript,
            [RedisKeys.AvailableAgents, RedisKeys.Agent(agentId), RedisKeys.AgentConference(agentId)],
            [agentId, conferenceName]);
        return (int)result == 1;
    }

    /// <summary>The call ringing the agent, so it can be cancelled or hung up later.</summary>
    public async Task DialingAsync(string agentId, string callSid) =>
        await Db.HashSetAsync(RedisKeys.Agent(agentId), "callSid", callSid);

    public async Task JoinedAsync(string agentId, string conferenceName, string callSid) =>
        await Db.HashSetAsync(RedisKeys.Agent(agentId),
            [new("status", AgentStatus.InCall), new("conference", conferenceName), new("callSid", callSid)]);

    public async Task<string?> FindConferenceForAgentAsync(string agentId) =>
        await Db.StringGetAsync(RedisKeys.AgentConference(agentId));

    public async Task<AgentState> GetAsync(string agentId)
    {
        var fields = (await Db.HashGetAllAsync(RedisKeys.Agent(agentId))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        return new AgentState(agentId, fields.GetValueOrDefault("status", AgentStatus.Away), fields.GetValueOrDefault("presence", AgentStatus.Away),
            fields.GetValueOrDefault("conference"), fields.GetValueOrDefault("callSid"));
    }

    public async Task<IReadOnlyList<string>> AvailableAgentsAsync() =>
        [.. (await Db.SortedSetRangeByRankAsync(RedisKeys.AvailableAgents)).Select(agent => agent.ToString())];
}
