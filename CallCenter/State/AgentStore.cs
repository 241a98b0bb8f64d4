using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Waiting;

namespace WarmTransfer.CallCenter.State;

/// <summary>What routing sees of an agent.</summary>
public static class AgentStatus
{
    /// <summary>Their page or softphone is gone (or never came): they are offered nothing until both are back.</summary>
    public const string Offline = "offline";

    /// <summary>They chose to be away (with a reason), or missed an offer.</summary>
    public const string Away = "away";

    /// <summary>After-call work: not routable until the timer ends or they press Ready.</summary>
    public const string WrapUp = "wrap-up";

    public const string Available = "available";
    public const string Ringing = "ringing";
    public const string InCall = "in-call";
}

/// <summary>What an agent's page says of their softphone in each heartbeat.</summary>
public static class SoftphoneState
{
    public const string Registered = "registered";

    /// <summary>Registered, but already on a call of its own: it would not ring for another.</summary>
    public const string Busy = "busy";

    /// <summary>Dropped: the SDK is registering again by itself (a network blip), or it stopped for good.</summary>
    public const string Unregistered = "unregistered";

    public static bool IsKnown(string? state) => state is Registered or Busy or Unregistered;
}

/// <param name="Status">What routing sees (<see cref="AgentStatus"/>).</param>
/// <param name="Presence">What the agent chose (available or away); on a call or in wrap-up it takes effect after.</param>
/// <param name="SessionId">The call session the agent is rung for or in.</param>
/// <param name="LegId">Their leg in it: only an event for this leg changes their state.</param>
/// <param name="Since">When their status last changed: the time in their current activity counts from it.</param>
/// <param name="Reason">Why they are away, from the configured reasons (or the system's own, a missed call).</param>
/// <param name="WrapUpEndsAt">When their wrap-up ends by itself.</param>
/// <param name="WrapUpExtended">Whether they already took more time (once only).</param>
/// <param name="Softphone">What their page last said of their softphone; null when their page is not connected.</param>
public sealed record AgentState(
    string AgentId,
    string Status,
    string Presence,
    string? SessionId,
    string? LegId,
    DateTimeOffset? Since = null,
    string? Reason = null,
    DateTimeOffset? WrapUpEndsAt = null,
    bool WrapUpExtended = false,
    string? Softphone = null);

/// <summary>What a change of an agent's state led to.</summary>
/// <param name="Changed">What routing sees of the agent changed: their page and the colleagues' lists are told.</param>
/// <param name="SessionId">The session the agent was taken for (a waiting transfer or caller), on the leg the caller gave.</param>
/// <param name="Transfer">The session is a transfer waiting for a colleague, not a waiting caller.</param>
/// <param name="WrapUp">How long the wrap-up that just ended lasted.</param>
/// <param name="HandleTime">From answering the call to the end of its wrap-up, when the agent's part in a call just ended for good.</param>
/// <param name="GoneFromLeg">The agent's page went away while they were rung for <paramref name="SessionId"/> on this leg: the offer is withdrawn.</param>
public sealed record AgentChange(
    bool Changed, string? SessionId = null, bool Transfer = false, TimeSpan? WrapUp = null, TimeSpan? HandleTime = null, string? GoneFromLeg = null)
{
    public static readonly AgentChange None = new(false);
}

/// <summary>What a claim came to: the agent taken, or, with none free, the session's place in its line (from 1).</summary>
/// <param name="Intervals">With a caller put in line: the line's recent service intervals, newest first, to estimate their wait from.</param>
public sealed record LineClaim(string? AgentId, int? Position, IReadOnlyList<ServiceInterval> Intervals)
{
    public static LineClaim Taken(string agentId) => new(agentId, null, []);
}

/// <summary>Where an agent is taken from when none is named.</summary>
public enum LinePlace
{
    /// <summary>A new caller: at the back of the line when nobody is free.</summary>
    Back,

    /// <summary>A caller whose offer failed or who was handed back: at the front of the line.</summary>
    Front,

    /// <summary>A transfer to the next free colleague: in the priority line, ahead of every waiting caller.</summary>
    Transfer,
}

/// <summary>
/// The line: agents' presence and calls, the available agents by idle time, the transfers and callers waiting, kept under one
/// hash tag so every change is one script over keys it is given (one Redis Cluster slot). An agent is routable only while
/// their page's heartbeat is fresh and their softphone registered and free; a softphone re-registering keeps its place for a
/// grace period. An agent's call state changes only for the session leg it belongs to, so a late event of an old leg changes
/// nothing. Every timer (a heartbeat's expiry, a grace period, a wrap-up) is a score in one sorted set that
/// <see cref="SweepAsync"/> visits.
/// </summary>
public sealed class AgentStore(IConnectionMultiplexer redis, TimeProvider time, IOptions<PresenceOptions> options)
{
    /// <summary>The wrap-up of an agent whose page never said theirs.</summary>
    public const int DefaultWrapUpSeconds = 30;

    /// <summary>The reason given to an agent set away because they missed an offer.</summary>
    public const string MissedCallReason = "Missed a call";

    // How many of the line's service intervals are kept for wait estimates.
    private const string KeptServiceIntervals = "50";

    // Every script: KEYS available, waiting callers, agents, waiting transfers, timers, when each waiting caller joined, when the
    // line last gave a caller, its service intervals, the contact events. ARGV[1] now (ms), ARGV[2] how long a
    // heartbeat keeps a page alive (ms), ARGV[3] a re-registering softphone's grace (ms); the script's own from ARGV[4].
    private const string Helpers = $$"""
        local now = tonumber(ARGV[1])
        local page_ms = tonumber(ARGV[2])
        local grace_ms = tonumber(ARGV[3])
        local function read(agent)
          local raw = redis.call('HGET', KEYS[3], agent)
          if raw then return cjson.decode(raw) end
          return { status = 'offline', presence = 'away' }
        end
        -- What happened to an agent, in the contact events (their activity, their wrap-up), trimmed to the log's retention.
        local function happened(kind, agent, duration, detail)
          redis.call('XADD', KEYS[9], 'MINID', '~', (now - {{ContactEventLog.RetentionMilliseconds}}) .. '-0', '*', 'kind', kind, 'session', '',
            'agent', agent, 'at', now, 'duration_ms', duration or '', 'detail', detail or '', 'hold_ms', '')
        end
        local function status(s, value)
          if s.status ~= value then
            s.status = value
            s.since = now
            return true
          end
          return false
        end
        -- A caller joins the line (or goes back to it): the moment they first joined is kept.
        local function join_line(session) redis.call('HSETNX', KEYS[6], session, now) end
        -- A caller is taken from the line: if they were already waiting when the line last gave a caller, the line was never
        -- empty in between, and the time since is one service interval.
        local function taken_from_line(session)
          local joined = tonumber(redis.call('HGET', KEYS[6], session) or '')
          local last = tonumber(redis.call('GET', KEYS[7]) or '')
          redis.call('HDEL', KEYS[6], session)
          redis.call('SET', KEYS[7], now)
          if joined and last and joined <= last then
            redis.call('LPUSH', KEYS[8], now .. ':' .. math.max(0, now - last))
            redis.call('LTRIM', KEYS[8], 0, {{KeptServiceIntervals}} - 1)
          end
        end
        local function page_live(s) return s.seen ~= nil and now - s.seen <= page_ms end
        local function live(s) return page_live(s) and s.phone == 'registered' end
        -- A softphone re-registering (or busy with a call of its own): the agent keeps their place, offered nothing meanwhile.
        local function holding(s)
          return page_live(s) and (s.phone == 'busy' or (s.phone == 'unregistered' and s.phone_since ~= nil and now - s.phone_since <= grace_ms))
        end
        -- The next moment the agent must be looked at again: their wrap-up's end, their heartbeat's expiry, their grace's end.
        local function write(agent, s)
          local due = nil
          if s.status == 'wrap-up' then
            due = s.wrap_until
          elseif s.status == 'ringing' and s.seen ~= nil then
            due = s.seen + page_ms + 1
          elseif s.status == 'available' and s.seen ~= nil then
            due = s.seen + page_ms + 1
            if s.phone == 'unregistered' and s.phone_since ~= nil and s.phone_since + grace_ms + 1 < due then due = s.phone_since + grace_ms + 1 end
          end
          if due then redis.call('ZADD', KEYS[5], due, agent) else redis.call('ZREM', KEYS[5], agent) end
          -- Each change of activity (and of the reason for being away) is recorded once, with the write that makes it.
          local activity = s.status
          if s.status == 'away' and s.reason then activity = activity .. ': ' .. s.reason end
          if s.logged ~= activity then
            happened('ActivityChanged', agent, nil, activity)
            s.logged = activity
          end
          redis.call('HSET', KEYS[3], agent, cjson.encode(s))
        end
        -- The agent has no call: away if they chose so; offered the first waiting transfer or caller when routable; else
        -- available in the idle line (keeping their place while their softphone re-registers), or offline.
        local function settle(agent, s, leg, changed)
          s.session = nil
          s.leg = nil
          if s.presence ~= 'available' then
            changed = status(s, 'away') or changed
            redis.call('ZREM', KEYS[1], agent)
            write(agent, s)
            return { changed and 1 or 0, '', '' }
          end
          if live(s) then
            local session = redis.call('LPOP', KEYS[4])
            local kind = 'transfer'
            if not session then
              session = redis.call('LPOP', KEYS[2])
              kind = 'caller'
              if session then taken_from_line(session) end
            end
            if session then
              status(s, 'ringing')
              s.session = session
              s.leg = leg
              redis.call('ZREM', KEYS[1], agent)
              write(agent, s)
              return { 1, session, kind }
            end
          end
          -- A softphone re-registering keeps an available agent's place; an agent just off a call keeps it while their softphone
          -- finishes with it. Anyone else waits offline until their softphone is registered.
          if live(s) or (holding(s) and s.status ~= 'offline' and s.status ~= 'away') then
            changed = status(s, 'available') or changed
            redis.call('ZADD', KEYS[1], 'NX', now, agent)
            write(agent, s)
            return { changed and 1 or 0, '', '' }
          end
          changed = status(s, 'offline') or changed
          redis.call('ZREM', KEYS[1], agent)
          write(agent, s)
          return { changed and 1 or 0, '', '' }
        end
        local function idle(s) return s.status == 'available' or s.status == 'offline' or s.status == 'away' end
        -- The agent's part in a call is over for good (their wrap-up ended, or they had none): how long it took them.
        local function handled(agent, s, result)
          result[4] = ''
          if s.talk_from then
            result[4] = now - s.talk_from
            happened('Handled', agent, result[4], nil)
          end
          s.talk_from = nil
          return result
        end
        local function end_wrap_up(agent, s, leg)
          local took = now - (s.wrap_from or now)
          happened('WrapUpEnded', agent, took, nil)
          s.wrap_until = nil
          s.wrap_from = nil
          s.wrap_extended = nil
          local result = handled(agent, s, settle(agent, s, leg, true))
          result[5] = took
          return result
        end
        """;

    // ARGV: agent, leg the agent must be on ('' for an agent on no call), away ('1' after a missed offer), leg for a waiting
    // caller. An agent who was in the call (not only rung) goes to wrap-up first.
    private static readonly string FreeScript = Helpers + "\n" + $$"""
        local agent = ARGV[4]
        local s = read(agent)
        if ARGV[5] == '' then
          if not idle(s) then return { 0, '', '' } end
        elseif s.leg ~= ARGV[5] then
          return { 0, '', '' }
        end
        if ARGV[6] == '1' then
          s.presence = 'away'
          s.reason = '{{MissedCallReason}}'
        end
        local wrap = tonumber(s.wrap or {{DefaultWrapUpSeconds}})
        if s.status == 'in-call' and wrap > 0 then
          status(s, 'wrap-up')
          happened('WrapUpStarted', agent, nil, nil)
          s.session = nil
          s.leg = nil
          s.wrap_from = now
          s.wrap_until = now + wrap * 1000
          s.wrap_extended = nil
          redis.call('ZREM', KEYS[1], agent)
          write(agent, s)
          return { 1, '', '' }
        end
        if s.status == 'in-call' then return handled(agent, s, settle(agent, s, ARGV[7], true)) end
        return settle(agent, s, ARGV[7], true)
        """;

    // ARGV: agent, presence, reason ('' none), leg for a waiting caller.
    private const string ChoosePresenceScript = Helpers + "\n" + """
        local agent = ARGV[4]
        local s = read(agent)
        s.presence = ARGV[5]
        s.reason = nil
        if ARGV[5] == 'away' and ARGV[6] ~= '' then s.reason = ARGV[6] end
        if idle(s) then return settle(agent, s, ARGV[7], true) end
        write(agent, s)
        return { 1, '', '' }
        """;

    // ARGV: agent, softphone state ('' when the page closed), wrap-up seconds ('' unknown), leg for a waiting caller, the page's
    // connection. A page that closes ends the agent's presence only if it is the page that beat last: a connection found dead
    // long after its page reconnected on another, or a second tab closing, changes nothing. A closed connection never beats
    // again: a beat of it handled after its close (sent just before) is not taken for a live page.
    private const string HeartbeatScript = Helpers + "\n" + """
        local agent = ARGV[4]
        local s = read(agent)
        if ARGV[5] == '' then
          s.closed = ARGV[8]
          if s.page ~= ARGV[8] then
            write(agent, s)
            return { 0, '', '' }
          end
          s.seen = nil
          s.phone = nil
          s.phone_since = nil
          s.page = nil
          if s.status == 'ringing' and s.session then
            -- Gone while rung: the offer is withdrawn, and the caller goes to the next agent.
            write(agent, s)
            return { 1, s.session, 'gone', '', '', s.leg }
          end
        else
          if s.closed == ARGV[8] then return { 0, '', '' } end
          s.seen = now
          s.page = ARGV[8]
          if s.phone ~= ARGV[5] then
            s.phone = ARGV[5]
            s.phone_since = now
          end
        end
        if ARGV[6] ~= '' then s.wrap = tonumber(ARGV[6]) end
        if idle(s) then return settle(agent, s, ARGV[7], false) end
        write(agent, s)
        return { 0, '', '' }
        """;

    // ARGV: agent, leg for a waiting caller.
    private const string ReadyScript = Helpers + "\n" + """
        local s = read(ARGV[4])
        if s.status ~= 'wrap-up' then return { -1, '', '' } end
        return end_wrap_up(ARGV[4], s, ARGV[5])
        """;

    // ARGV: agent.
    private static readonly string MoreTimeScript = Helpers + "\n" + $$"""
        local s = read(ARGV[4])
        if s.status ~= 'wrap-up' then return -1 end
        if s.wrap_extended then return 0 end
        s.wrap_extended = true
        s.wrap_until = s.wrap_until + tonumber(s.wrap or {{DefaultWrapUpSeconds}}) * 1000
        write(ARGV[4], s)
        return 1
        """;

    // ARGV: legs for waiting callers, one per agent looked at. Returns, for each agent whose state changed: agent, the leg it
    // was given, session, kind, handle time, wrap-up time ('' for none).
    private const string SweepScript = Helpers + "\n" + """
        local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, #ARGV - 3)
        local changes = {}
        for i, agent in ipairs(due) do
          local s = read(agent)
          local result = nil
          local given = nil
          if s.status == 'wrap-up' and s.wrap_until <= now then
            result = end_wrap_up(agent, s, ARGV[3 + i])
          elseif s.status == 'wrap-up' then
            write(agent, s)
          elseif idle(s) then
            result = settle(agent, s, ARGV[3 + i], false)
          elseif s.status == 'ringing' and s.session and not page_live(s) then
            -- Their page stopped beating while they were rung: gone, as if it had closed.
            s.seen = nil
            s.page = nil
            write(agent, s)
            result = { 1, s.session, 'gone', '', '' }
            given = s.leg
          else
            redis.call('ZREM', KEYS[5], agent)
          end
          if result and result[1] == 1 then
            table.insert(changes, agent)
            table.insert(changes, given or ARGV[3 + i])
            table.insert(changes, result[2] or '')
            table.insert(changes, result[3] or '')
            table.insert(changes, result[4] or '')
            table.insert(changes, result[5] or '')
          end
        end
        return changes
        """;

    // ARGV: session, leg, place ('back', 'front' or 'transfer'). The longest-idle routable agent is rung; an agent gone meanwhile
    // is set offline on the way. With none, the session waits: callers in the line (at the front when an offer failed), a
    // transfer in the priority line.
    private const string ClaimLongestIdleScript = Helpers + "\n" + """
        -- A few at a time, longest idle first: the first is nearly always the one, whatever the number of agents free.
        local from = 0
        while true do
          local agents = redis.call('ZRANGE', KEYS[1], from, from + 7)
          if #agents == 0 then break end
          local removed = 0
          for _, agent in ipairs(agents) do
            local s = read(agent)
            if s.status == 'available' and live(s) then
              status(s, 'ringing')
              s.session = ARGV[4]
              s.leg = ARGV[5]
              redis.call('ZREM', KEYS[1], agent)
              write(agent, s)
              -- A caller offered again (reconciliation) is no longer waiting in line; one who never was costs no walk of it.
              if ARGV[6] ~= 'transfer' and redis.call('HDEL', KEYS[6], ARGV[4]) == 1 then redis.call('LREM', KEYS[2], 0, ARGV[4]) end
              return agent
            elseif not (s.status == 'available' and holding(s)) then
              if s.status == 'available' then status(s, 'offline') end
              redis.call('ZREM', KEYS[1], agent)
              write(agent, s)
              removed = removed + 1
            end
          end
          from = from + #agents - removed
        end
        -- Nobody free: the session's place in its line, and for a caller the line's recent pace, to estimate their wait.
        local position
        if ARGV[6] == 'transfer' then
          redis.call('LREM', KEYS[4], 0, ARGV[4])
          position = redis.call('RPUSH', KEYS[4], ARGV[4])
          return { position }
        end
        -- Only a caller known to be in line is looked for in it: a new one costs no walk of the line. One already waiting
        -- (asked for twice at once) keeps their place, unless they go to the front.
        if redis.call('HEXISTS', KEYS[6], ARGV[4]) == 1 then
          local index = ARGV[6] == 'back' and redis.call('LPOS', KEYS[2], ARGV[4])
          if index then
            position = index + 1
          else
            redis.call('LREM', KEYS[2], 0, ARGV[4])
          end
        end
        if not position then
          join_line(ARGV[4])
          if ARGV[6] == 'front' then
            redis.call('LPUSH', KEYS[2], ARGV[4])
            position = 1
          else
            position = redis.call('RPUSH', KEYS[2], ARGV[4])
          end
        end
        local answer = redis.call('LRANGE', KEYS[8], 0, -1)
        table.insert(answer, 1, position)
        return answer
        """;

    // ARGV: agent, session, leg.
    private const string ClaimScript = Helpers + "\n" + """
        local s = read(ARGV[4])
        if s.status ~= 'available' or not live(s) then return 0 end
        status(s, 'ringing')
        s.session = ARGV[5]
        s.leg = ARGV[6]
        redis.call('ZREM', KEYS[1], ARGV[4])
        write(ARGV[4], s)
        return 1
        """;

    // ARGV: agent, leg.
    private const string InCallScript = Helpers + "\n" + """
        local s = read(ARGV[4])
        if s.leg ~= ARGV[5] then return 0 end
        if status(s, 'in-call') then s.talk_from = now end
        write(ARGV[4], s)
        return 1
        """;

    // ARGV: session. Returns how many times it was in the callers' line.
    private const string LeaveLineScript = Helpers + "\n" + """
        redis.call('LREM', KEYS[4], 0, ARGV[4])
        redis.call('HDEL', KEYS[6], ARGV[4])
        return redis.call('LREM', KEYS[2], 0, ARGV[4])
        """;

    private readonly PresenceOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    private static RedisKey[] Keys =>
    [
        RedisKeys.AvailableAgents, RedisKeys.WaitingCallers, RedisKeys.Agents, RedisKeys.WaitingTransfers, RedisKeys.AgentTimers,
        RedisKeys.CallersJoined, RedisKeys.CallerLastTaken, RedisKeys.ServiceIntervals, RedisKeys.ContactEvents,
    ];

    private Task<RedisResult> RunAsync(string script, params RedisValue[] arguments) =>
        Db.ScriptEvaluateAsync(script, Keys,
            [time.GetUtcNow().ToUnixTimeMilliseconds(), (long)_options.HeartbeatExpiry.TotalMilliseconds, (long)_options.ReregisterGrace.TotalMilliseconds,
                .. arguments]);

    /// <summary>
    /// The agent's leg ended (or, with no leg, an idle agent wants calls): they are free, unless they are on another leg now.
    /// <paramref name="away"/> after a missed offer; an agent who was in the call goes to wrap-up first. A routable agent is
    /// taken at once for a waiting transfer or caller, on <paramref name="nextLegId"/>.
    /// </summary>
    public async Task<AgentChange> FreeAsync(string agentId, string? legId, bool away, string nextLegId) =>
        Change(await RunAsync(FreeScript, agentId, legId ?? string.Empty, away ? "1" : "0", nextLegId));

    /// <summary>What the agent chose (with a reason when away); it takes effect now when idle, or when their call or wrap-up ends.</summary>
    public async Task<AgentChange> ChoosePresenceAsync(string agentId, string presence, string? reason, string nextLegId) =>
        Change(await RunAsync(ChoosePresenceScript, agentId, presence, reason ?? string.Empty, nextLegId));

    /// <summary>
    /// The agent's page (its connection <paramref name="page"/>) is alive, and says this of its softphone (null: the page
    /// closed). An agent who becomes routable is taken at once for a waiting transfer or caller.
    /// </summary>
    public async Task<AgentChange> HeartbeatAsync(string agentId, string page, string? softphone, int? wrapUpSeconds, string nextLegId) =>
        Change(await RunAsync(HeartbeatScript, agentId, softphone ?? string.Empty, wrapUpSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
            nextLegId, page));

    /// <summary>The agent ends their wrap-up early; null when they are not in wrap-up.</summary>
    public async Task<AgentChange?> ReadyAsync(string agentId, string nextLegId)
    {
        var result = await RunAsync(ReadyScript, agentId, nextLegId);
        return (int)result[0] == -1 ? null : Change(result);
    }

    /// <summary>The agent takes more time in wrap-up, once: true if given, false if already taken, null when not in wrap-up.</summary>
    public async Task<bool?> MoreTimeAsync(string agentId) => (int)await RunAsync(MoreTimeScript, agentId) switch
    {
        1 => true,
        0 => false,
        _ => null,
    };

    /// <summary>
    /// Every agent whose timer is due (a heartbeat expired, a grace or a wrap-up ended), settled, at most one per leg id given:
    /// the agents that changed, each with the leg id it was given for a session it was taken for.
    /// </summary>
    public async Task<IReadOnlyList<(string AgentId, string LegId, AgentChange Change)>> SweepAsync(IReadOnlyList<string> nextLegIds)
    {
        var result = (RedisResult[])(await RunAsync(SweepScript, [.. nextLegIds.Select(id => (RedisValue)id)]))!;
        var changes = new List<(string, string, AgentChange)>();
        for (var i = 0; i + 5 < result.Length; i += 6)
        {
            var kind = (string?)result[i + 3];
            changes.Add(((string)result[i]!, (string)result[i + 1]!, new AgentChange(true, Text(result[i + 2]), kind == "transfer",
                Millis(result[i + 5]), Millis(result[i + 4]), kind == "gone" ? (string?)result[i + 1] : null)));
        }

        return changes;
    }

    /// <summary>
    /// Takes the longest-idle routable agent for the session's leg; when none is, the caller waits in line (at its front when
    /// <paramref name="place"/> says so), or a transfer waits in the priority line, and the claim says where.
    /// </summary>
    public async Task<LineClaim> ClaimLongestIdleAsync(string sessionId, string legId, LinePlace place)
    {
        var result = await RunAsync(ClaimLongestIdleScript, sessionId, legId, place switch
        {
            LinePlace.Front => "front",
            LinePlace.Transfer => "transfer",
            _ => "back",
        });
        if (result.Resp2Type != ResultType.Array)
        {
            return LineClaim.Taken((string)result!);
        }

        var answer = (RedisResult[])result!;
        return new LineClaim(null, (int)answer[0], ParseIntervals(answer.Skip(1).Select(entry => (string?)entry)));
    }

    /// <summary>Takes this agent for the session's leg if they are available and routable.</summary>
    public async Task<bool> ClaimAsync(string agentId, string sessionId, string legId) => (int)await RunAsync(ClaimScript, agentId, sessionId, legId) == 1;

    /// <summary>The agent answered this leg (nothing changes if they are on another one now).</summary>
    public async Task InCallAsync(string agentId, string legId) => await RunAsync(InCallScript, agentId, legId);

    /// <summary>
    /// The session needs no agent any more (the caller is gone, or its transfer was cancelled): out of both lines. True when it
    /// was a caller waiting in line.
    /// </summary>
    public async Task<bool> LeaveLineAsync(string sessionId) => (int)await RunAsync(LeaveLineScript, sessionId) > 0;

    public async Task<AgentState> GetAsync(string agentId) => Parse(agentId, await Db.HashGetAsync(RedisKeys.Agents, agentId));

    public async Task<IReadOnlyList<AgentState>> AllAsync() =>
        [.. (await Db.HashGetAllAsync(RedisKeys.Agents)).Select(entry => Parse(entry.Name!, entry.Value))];

    /// <summary>The agents in the idle line, longest idle first (an agent whose softphone is re-registering keeps their place).</summary>
    /// <param name="first">At most this many, the longest idle; all when null.</param>
    public async Task<IReadOnlyList<string>> AvailableAgentsAsync(int? first = null) =>
        [.. (await Db.SortedSetRangeByRankAsync(RedisKeys.AvailableAgents, 0, first is { } count ? count - 1 : -1)).Select(agent => agent.ToString())];

    /// <summary>Where the caller waits, as a claim that put them in line says it: their place (none when not in line) and the line's pace.</summary>
    public async Task<LineClaim> WaitingPlaceAsync(string sessionId)
    {
        // Both read at once: one round trip, not two.
        var position = PositionAsync(sessionId);
        var intervals = ServiceIntervalsAsync();
        return new LineClaim(null, await position, await intervals);
    }

    /// <summary>The caller's place in line (from 1), or null when they are not waiting in it.</summary>
    public async Task<int?> PositionAsync(string sessionId) =>
        await Db.ListPositionAsync(RedisKeys.WaitingCallers, sessionId) is var index and >= 0 ? (int)index + 1 : null;

    /// <summary>The line's recent service intervals, newest first: what a waiting caller's expected wait is estimated from.</summary>
    public async Task<IReadOnlyList<ServiceInterval>> ServiceIntervalsAsync() =>
        ParseIntervals((await Db.ListRangeAsync(RedisKeys.ServiceIntervals)).Select(entry => (string?)entry));

    /// <summary>Service intervals as the line keeps them, each "taken-at-ms:gap-ms".</summary>
    private static List<ServiceInterval> ParseIntervals(IEnumerable<string?> entries)
    {
        var intervals = new List<ServiceInterval>();
        foreach (var entry in entries)
        {
            if (entry?.Split(':') is [var at, var gap] && long.TryParse(at, out var atMs) && long.TryParse(gap, out var gapMs))
            {
                intervals.Add(new ServiceInterval(DateTimeOffset.FromUnixTimeMilliseconds(atMs), TimeSpan.FromMilliseconds(gapMs)));
            }
        }

        return intervals;
    }

    /// <summary>When the longest-waiting caller in line joined it; null with nobody waiting.</summary>
    public async Task<DateTimeOffset?> LongestWaitingSinceAsync() =>
        (await Db.HashValuesAsync(RedisKeys.CallersJoined)).Select(value => (long)value).DefaultIfEmpty(-1).Min() is var ms and >= 0
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    public async Task<IReadOnlyList<string>> WaitingAsync() =>
        [.. (await Db.ListRangeAsync(RedisKeys.WaitingCallers)).Select(session => session.ToString())];

    /// <summary>Sessions whose owner waits for the next free colleague, first asked first served.</summary>
    public async Task<IReadOnlyList<string>> WaitingTransfersAsync() =>
        [.. (await Db.ListRangeAsync(RedisKeys.WaitingTransfers)).Select(session => session.ToString())];

    /// <summary>
    /// A script's answer: changed (1 or 0), session taken for, 'transfer', 'caller' or 'gone' (with the leg the agent was rung
    /// on last), handle time and wrap-up time in ms.
    /// </summary>
    private static AgentChange Change(RedisResult result)
    {
        var values = (RedisResult[])result!;
        RedisResult At(int index) => index < values.Length ? values[index] : RedisResult.Create(RedisValue.Null);
        return new AgentChange((int)values[0] == 1, Text(At(1)), (string?)At(2) == "transfer", Millis(At(4)), Millis(At(3)),
            (string?)At(2) == "gone" ? Text(At(5)) : null);
    }

    private static string? Text(RedisResult value) => value.IsNull || (string?)value is not { Length: > 0 } text ? null : text;

    private static TimeSpan? Millis(RedisResult value) =>
        value.IsNull || (string?)value is not { Length: > 0 } text ? null : TimeSpan.FromMilliseconds(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));

    private static AgentState Parse(string agentId, RedisValue value)
    {
        if (value.IsNull)
        {
            return new AgentState(agentId, AgentStatus.Offline, AgentStatus.Away, null, null);
        }

        // Parsed from the UTF-8 bytes Redis sent, and the document's pooled buffers given back after.
        using var document = JsonDocument.Parse((ReadOnlyMemory<byte>)value);
        var json = document.RootElement;
        string? Field(string name) => json.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null;
        DateTimeOffset? Moment(string name) => json.TryGetProperty(name, out var ms) && ms.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms.GetInt64())
            : null;
        return new AgentState(agentId, Field("status") ?? AgentStatus.Offline, Field("presence") ?? AgentStatus.Away, Field("session"), Field("leg"),
            Moment("since"), Field("reason"), Moment("wrap_until"), json.TryGetProperty("wrap_extended", out var extended) && extended.ValueKind == JsonValueKind.True,
            json.TryGetProperty("seen", out _) ? Field("phone") : null);
    }
}
