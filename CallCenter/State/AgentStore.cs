using System.Text.Json;
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
/// <param name="SessionId">The call session the agent is rung for or in.</param>
/// <param name="LegId">Their leg in it: only an event for this leg changes their state.</param>
/// <param name="Since">When their state last changed.</param>
public sealed record AgentState(string AgentId, string Status, string Presence, string? SessionId, string? LegId, DateTimeOffset? Since = null);

/// <summary>
/// The line: agents' presence and calls, the available agents by idle time and the waiting callers, kept under one hash tag so
/// every change is one script over keys it is given (one Redis Cluster slot). An agent's call state changes only for the
/// session leg it belongs to, so a late event of an old leg changes nothing.
/// </summary>
public sealed class AgentStore(IConnectionMultiplexer redis, TimeProvider time)
{
    private const string Helpers = """
        local function read(agent)
          local raw = redis.call('HGET', KEYS[3], agent)
          if raw then return cjson.decode(raw) end
          return { status = 'away', presence = 'away' }
        end
        local function write(agent, state)
          local time = redis.call('TIME')
          state.since = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
          redis.call('HSET', KEYS[3], agent, cjson.encode(state))
        end
        -- The agent is free: away if they chose so; else the longest-waiting caller's session, or the idle line.
        local function free(agent, state, now, leg)
          state.session = nil
          state.leg = nil
          if state.presence ~= 'available' then
            state.status = 'away'
            redis.call('ZREM', KEYS[1], agent)
            write(agent, state)
            return false
          end
          local session = redis.call('LPOP', KEYS[2])
          if session then
            state.status = 'ringing'
            state.session = session
            state.leg = leg
            redis.call('ZREM', KEYS[1], agent)
            write(agent, state)
            return session
          end
          state.status = 'available'
          redis.call('ZADD', KEYS[1], 'NX', now, agent)
          write(agent, state)
          return false
        end
        """;

    // KEYS: available, waiting, agents. ARGV: agent, now, leg the agent must be on ('' for an agent on no call), away ('1'),
    // leg id for a waiting caller.
    private const string FreeScript = Helpers + "\n" + """
        local state = read(ARGV[1])
        if ARGV[3] == '' then
          if state.status == 'ringing' or state.status == 'in-call' then return false end
        elseif state.leg ~= ARGV[3] then
          return false
        end
        if ARGV[4] == '1' then state.presence = 'away' end
        return free(ARGV[1], state, ARGV[2], ARGV[5])
        """;

    // KEYS: available, waiting, agents. ARGV: agent, presence.
    private const string ChoosePresenceScript = Helpers + "\n" + """
        local state = read(ARGV[1])
        state.presence = ARGV[2]
        if ARGV[2] == 'away' then
          redis.call('ZREM', KEYS[1], ARGV[1])
          if state.status == 'available' then state.status = 'away' end
        end
        write(ARGV[1], state)
        return state.status
        """;

    // KEYS: available, waiting, agents. ARGV: session, leg, 'front' or 'back'.
    // The longest-idle agent is rung, or the caller joins the line (at the front when an offer failed: they keep their place).
    private const string ClaimLongestIdleScript = Helpers + "\n" + """
        local agents = redis.call('ZPOPMIN', KEYS[1])
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
        local state = read(agent)
        state.status = 'ringing'
        state.session = ARGV[1]
        state.leg = ARGV[2]
        write(agent, state)
        return agent
        """;

    // KEYS: available, waiting, agents. ARGV: agent, session, leg.
    private const string ClaimScript = Helpers + "\n" + """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
        local state = read(ARGV[1])
        state.status = 'ringing'
        state.session = ARGV[2]
        state.leg = ARGV[3]
        write(ARGV[1], state)
        return 1
        """;

    // KEYS: available, waiting, agents. ARGV: agent, leg.
    private const string InCallScript = Helpers + "\n" + """
        local state = read(ARGV[1])
        if state.leg ~= ARGV[2] then return 0 end
        state.status = 'in-call'
        write(ARGV[1], state)
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    private static RedisKey[] Keys => [RedisKeys.AvailableAgents, RedisKeys.WaitingCallers, RedisKeys.Agents];

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// The agent's leg ended (or, with no leg, an idle agent wants calls): they are free, unless they are on another leg now.
    /// Returns the waiting caller's session they are rung for on <paramref name="nextLegId"/>, if one was waiting.
    /// </summary>
    public async Task<string?> FreeAsync(string agentId, string? legId, bool away, string nextLegId)
    {
        var result = await Db.ScriptEvaluateAsync(FreeScript, Keys, [agentId, Now, legId ?? string.Empty, away ? "1" : "0", nextLegId]);
        return result.IsNull ? null : (string?)result;
    }

    /// <summary>What the agent chose; it takes effect now when idle, or when their call ends. Returns what routing sees now.</summary>
    public async Task<string> ChoosePresenceAsync(string agentId, string presence) =>
        (string)(await Db.ScriptEvaluateAsync(ChoosePresenceScript, Keys, [agentId, presence]))!;

    /// <summary>Takes the agent who has been idle longest for the session's leg; null when none is free (the caller waits in line).</summary>
    public async Task<string?> ClaimLongestIdleAsync(string sessionId, string legId, bool front)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimLongestIdleScript, Keys, [sessionId, legId, front ? "front" : "back"]);
        return result.IsNull ? null : (string?)result;
    }

    /// <summary>Takes this agent for the session's leg if they are available.</summary>
    public async Task<bool> ClaimAsync(string agentId, string sessionId, string legId) =>
        (int)await Db.ScriptEvaluateAsync(ClaimScript, Keys, [agentId, sessionId, legId]) == 1;

    /// <summary>The agent answered this leg (nothing changes if they are on another one now).</summary>
    public async Task InCallAsync(string agentId, string legId) =>
        await Db.ScriptEvaluateAsync(InCallScript, Keys, [agentId, legId]);

    /// <summary>The caller is gone: out of the line.</summary>
    public async Task<bool> LeaveLineAsync(string sessionId) => await Db.ListRemoveAsync(RedisKeys.WaitingCallers, sessionId) > 0;

    public async Task<AgentState> GetAsync(string agentId) => Parse(agentId, await Db.HashGetAsync(RedisKeys.Agents, agentId));

    public async Task<IReadOnlyList<AgentState>> AllAsync() =>
        [.. (await Db.HashGetAllAsync(RedisKeys.Agents)).Select(entry => Parse(entry.Name!, entry.Value))];

    public async Task<IReadOnlyList<string>> AvailableAgentsAsync() =>
        [.. (await Db.SortedSetRangeByRankAsync(RedisKeys.AvailableAgents)).Select(agent => agent.ToString())];

    public async Task<IReadOnlyList<string>> WaitingAsync() =>
        [.. (await Db.ListRangeAsync(RedisKeys.WaitingCallers)).Select(session => session.ToString())];

    private static AgentState Parse(string agentId, RedisValue value)
    {
        if (value.IsNull)
        {
            return new AgentState(agentId, AgentStatus.Away, AgentStatus.Away, null, null);
        }

        var json = JsonDocument.Parse((string)value!).RootElement;
        string? Field(string name) => json.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null;
        var since = json.TryGetProperty("since", out var ms) && ms.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms.GetInt64())
            : (DateTimeOffset?)null;
        return new AgentState(agentId, Field("status") ?? AgentStatus.Away, Field("presence") ?? AgentStatus.Away, Field("session"), Field("leg"), since);
    }
}
