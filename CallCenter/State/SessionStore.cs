using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WarmTransfer.CallCenter.Domain;

namespace WarmTransfer.CallCenter.State;

/// <summary>
/// Call sessions in Redis, one key each. A transition is read, decided and written as one compare-and-set on the session's
/// version, by whichever service received the event; a conflict means another service moved the session first, and the
/// event is decided again on what it wrote. Nothing else writes a session.
/// </summary>
public sealed partial class SessionStore(IConnectionMultiplexer redis, TimeProvider time, ILogger<SessionStore> logger)
{
    /// <summary>Twilio ends any call after four hours; a session outlives its call by an hour at most.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(5);

    private const int MaxAttempts = 50;

    // KEYS: session, its pending contact events. ARGV: expected version ('' for a new session), new version, state, lifetime
    // ms, then each event as ContactEventLog.FieldCount values. The events are kept with the write, or not at all, each as a
    // JSON array of the new version and its values. Returns {0} on a conflict, else 1 and every event still pending.
    private static readonly string CompareAndSetScript = """
        if (redis.call('HGET', KEYS[1], 'version') or '') ~= ARGV[1] then
          return {0}
        end
        redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        local fields = {{ContactEventLog.FieldNames}}
        if #ARGV > 4 then
          for i = 5, #ARGV, #fields do
            local entry = { tonumber(ARGV[2]) }
            for f = 1, #fields do
              entry[#entry + 1] = ARGV[i + f - 1]
            end
            redis.call('RPUSH', KEYS[2], cjson.encode(entry))
          end
          redis.call('PEXPIRE', KEYS[2], ARGV[4])
        end
        local pending = redis.call('LRANGE', KEYS[2], 0, -1)
        table.insert(pending, 1, 1)
        return pending
        """.Replace("{{ContactEventLog.FieldNames}}", ContactEventLog.FieldNamesLua, StringComparison.Ordinal);

    // KEYS: contact events, the session's copied version. ARGV: the oldest event id kept, how long the copied version is kept
    // (ms), then pending events as the compare-and-set keeps them. Copies those of a version not copied yet, in order;
    // returns the highest version copied. Run twice with the same events, it copies them once.
    private static readonly string CopyScript = """
        local copied = tonumber(redis.call('GET', KEYS[2]) or '-1')
        local highest = copied
        local fields = {{ContactEventLog.FieldNames}}
        for i = 3, #ARGV do
          local entry = cjson.decode(ARGV[i])
          if entry[1] > copied then
            local values = {}
            for f = 1, #fields do
              values[#values + 1] = fields[f]
              values[#values + 1] = entry[f + 1]
            end
            redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', unpack(values))
            highest = math.max(highest, entry[1])
          end
        end
        redis.call('SET', KEYS[2], highest, 'PX', ARGV[2])
        return highest
        """.Replace("{{ContactEventLog.FieldNames}}", ContactEventLog.FieldNamesLua, StringComparison.Ordinal);

    // KEYS: the session's pending contact events. ARGV: the highest version copied. Drops the pending events copied.
    private const string DropCopiedScript = """
        while true do
          local head = redis.call('LINDEX', KEYS[1], 0)
          if not head or cjson.decode(head)[1] > tonumber(ARGV[1]) then
            return 0
          end
          redis.call('LPOP', KEYS[1])
        end
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        IgnoreReadOnlyProperties = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Stores a new session (a caller entered the line); false when one with its id exists already (Twilio asked twice).</summary>
    public Task<bool> CreateAsync(CallSession session) =>
        WriteAsync(session, expectedVersion: null, [new ContactEvent(ContactEventKind.Entered, session.Id, null, session.CreatedAt)]);

    public async Task<CallSession?> GetAsync(string sessionId)
    {
        var state = await Db.HashGetAsync(RedisKeys.Session(sessionId), "state");
        // From the UTF-8 bytes Redis sent: no string in between.
        return state.IsNull ? null : JsonSerializer.Deserialize<CallSession>(((ReadOnlyMemory<byte>)state).Span, Json);
    }

    /// <summary>
    /// Decides the event on a session the caller has just read or written, without reading it again; when it has changed since,
    /// the event is decided on what is stored (see <see cref="DecideAsync(string, SessionEvent)"/>).
    /// </summary>
    public async Task<Decision?> DecideAsync(CallSession known, SessionEvent @event)
    {
        var decision = CallDecisions.Decide(known, @event, time.GetUtcNow());
        return !decision.Changed || await WriteAsync(decision.Session, known.Version, decision.Happened) ? decision : await DecideAsync(known.Id, @event);
    }

    /// <summary>
    /// Decides the event on the stored session and stores the result; null when there is no such session (ended long ago, or
    /// never ours). An unchanged decision writes nothing.
    /// </summary>
    public async Task<Decision?> DecideAsync(string sessionId, SessionEvent @event)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await GetAsync(sessionId) is not { } session)
            {
                return null;
            }

            var decision = CallDecisions.Decide(session, @event, time.GetUtcNow());
            if (!decision.Changed || await WriteAsync(decision.Session, session.Version, decision.Happened))
            {
                return decision;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"Session {sessionId} changed under {MaxAttempts} attempts to decide {@event.GetType().Name}.");
            }

            // Another service moved the session first: a short, random pause keeps the racers from colliding again.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + attempt)), time);
        }
    }

    private async Task<bool> WriteAsync(CallSession session, long? expectedVersion, IReadOnlyList<ContactEvent> happened)
    {
        var written = (RedisResult[])(await Db.ScriptEvaluateAsync(CompareAndSetScript,
            [RedisKeys.Session(session.Id), RedisKeys.PendingContactEvents(session.Id)],
            [
                expectedVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
                session.Version,
                JsonSerializer.SerializeToUtf8Bytes(session, Json),
                (long)Lifetime.TotalMilliseconds,
                .. happened.SelectMany(ContactEventLog.Fields),
            ]))!;
        if ((int)written[0] != 1)
        {
            return false;
        }

        // The indexes reconciliation and the callback timer sweep: other slots than the session's, so they are kept beside the
        // write, not in it (reconciliation finds a due callback the index lost). An ended session leaves the open sessions once
        // its events are copied: until then reconciliation visits it and copies them.
        if (!session.IsEnded)
        {
            _ = Db.SortedSetAddAsync(RedisKeys.OpenSessions, session.Id, session.UpdatedAt.ToUnixTimeMilliseconds(), CommandFlags.FireAndForget);
        }

        _ = session is { IsEnded: false, ConnectedAt: not null }
            ? Db.SetAddAsync(RedisKeys.ConnectedSessions, session.Id, CommandFlags.FireAndForget)
            : Db.SetRemoveAsync(RedisKeys.ConnectedSessions, session.Id, CommandFlags.FireAndForget);
        _ = session is { IsEnded: false, Transfer.IsUnderWay: true }
            ? Db.SetAddAsync(RedisKeys.TransferringSessions, session.Id, CommandFlags.FireAndForget)
            : Db.SetRemoveAsync(RedisKeys.TransferringSessions, session.Id, CommandFlags.FireAndForget);
        if (session.Callback is { } callback)
        {
            _ = callback is { RetryAt: { } at } && !session.IsEnded
                ? Db.SortedSetAddAsync(RedisKeys.CallbacksDue, session.Id, at.ToUnixTimeMilliseconds(), CommandFlags.FireAndForget)
                : Db.SortedSetRemoveAsync(RedisKeys.CallbacksDue, session.Id, CommandFlags.FireAndForget);
        }

        try
        {
            await CopyEventsAsync(session.Id, [.. written[1..].Select(entry => (RedisValue)entry)]);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The transition is written and its effects must follow: its events wait in the session's slot, copied by its next
            // write or by reconciliation, which keeps visiting an ended session until they are.
            EventsNotCopied(logger, exception, session.Id);
            return true;
        }

        if (session.IsEnded)
        {
            _ = Db.SortedSetRemoveAsync(RedisKeys.OpenSessions, session.Id, CommandFlags.FireAndForget);
        }

        return true;
    }

    [LoggerMessage(LogLevel.Warning, "The contact events of session {SessionId} are not in the queue log yet: they are copied later")]
    private static partial void EventsNotCopied(ILogger logger, Exception exception, string sessionId);

    /// <summary>
    /// Copies the session's pending contact events to the queue log, in the line's slot, and drops them from the session's: two
    /// slots, so two steps, and a copy repeated after a failure between them copies nothing twice.
    /// </summary>
    public async Task CopyPendingEventsAsync(string sessionId) =>
        await CopyEventsAsync(sessionId, await Db.ListRangeAsync(RedisKeys.PendingContactEvents(sessionId)));

    private async Task CopyEventsAsync(string sessionId, RedisValue[] pending)
    {
        if (pending.Length == 0)
        {
            return;
        }

        var copied = await Db.ScriptEvaluateAsync(CopyScript, [RedisKeys.ContactEvents, RedisKeys.CopiedContactEvents(sessionId)],
        [
            ContactEventLog.OldestKept(time.GetUtcNow()),
            (long)(Lifetime + TimeSpan.FromHours(1)).TotalMilliseconds,
            .. pending,
        ]);
        _ = Db.ScriptEvaluateAsync(DropCopiedScript, [RedisKeys.PendingContactEvents(sessionId)], [(long)copied], CommandFlags.FireAndForget);
    }

    /// <summary>Open sessions whose last change is older than <paramref name="quietFor"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> QuietAsync(TimeSpan quietFor, int take)
    {
        var before = (time.GetUtcNow() - quietFor).ToUnixTimeMilliseconds();
        return [.. (await Db.SortedSetRangeByScoreAsync(RedisKeys.OpenSessions, stop: before, take: take)).Select(id => id.ToString())];
    }

    /// <summary>Sessions whose missed callback is due to go back to the front of the line, earliest first.</summary>
    public async Task<IReadOnlyList<string>> DueCallbacksAsync(int take) =>
        [.. (await Db.SortedSetRangeByScoreAsync(RedisKeys.CallbacksDue, stop: time.GetUtcNow().ToUnixTimeMilliseconds(), take: take)).Select(id => id.ToString())];

    /// <summary>The open session was just checked: it is quiet again only after another <c>quietFor</c>.</summary>
    public Task TouchAsync(string sessionId) =>
        Db.SortedSetAddAsync(RedisKeys.OpenSessions, sessionId, time.GetUtcNow().ToUnixTimeMilliseconds(), SortedSetWhen.Exists);

    /// <summary>The session is gone from Redis (expired), or ended with its events copied: it leaves the indexes.</summary>
    public Task ForgetAsync(string sessionId) =>
        Task.WhenAll(Db.SortedSetRemoveAsync(RedisKeys.OpenSessions, sessionId), Db.SortedSetRemoveAsync(RedisKeys.CallbacksDue, sessionId),
            Db.SetRemoveAsync(RedisKeys.ConnectedSessions, sessionId), Db.SetRemoveAsync(RedisKeys.TransferringSessions, sessionId));
}
