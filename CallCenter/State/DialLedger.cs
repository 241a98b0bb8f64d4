using StackExchange.Redis;

namespace WarmTransfer.CallCenter.State;

/// <summary>What became of a dial request, decided atomically before anyone is rung.</summary>
public abstract record DialDecision
{
    /// <summary>This worker holds the lease: it dials.</summary>
    public sealed record Dial : DialDecision;

    /// <summary>Already dialed or given up on: nobody is rung again.</summary>
    public sealed record Done(string State) : DialDecision;

    /// <summary>Another worker holds the lease and may have dialed; look again after this long.</summary>
    public sealed record Wait(TimeSpan RetryAfter) : DialDecision;
}

/// <summary>
/// The dial requests' idempotency records in Redis. Taking a request is one script: a new request, or one whose lease ran out
/// with no call recorded, is dialed by the caller; one with a call (recorded by the worker or by the call's own
/// status callback) is never dialed again. The dialing worker renews its lease for as long as the dial goes on (every try, every
/// wait for a calls-per-second slot); a worker that dies mid-dial leaves a lease that expires soon after.
/// </summary>
public sealed class DialLedger(IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    // KEYS: dial record. ARGV: owner, lease ms, lifetime s.
    private const string BeginScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HGET', KEYS[1], 'state')
        if state and state ~= 'dialing' then
          return state
        end
        if state and redis.call('HEXISTS', KEYS[1], 'callSid') == 1 then
          return 'dialed'
        end
        if state then
          local lease = tonumber(redis.call('HGET', KEYS[1], 'leaseUntil'))
          if lease > now then
            return 'wait:' .. (lease - now)
          end
        end
        redis.call('HSET', KEYS[1], 'state', 'dialing', 'owner', ARGV[1], 'leaseUntil', now + tonumber(ARGV[2]))
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return 'dial'
        """;

    // KEYS: dial record. ARGV: owner, lease ms. Extends the lease only while its owner still dials.
    private const string RenewScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        if redis.call('HGET', KEYS[1], 'state') == 'dialing' and redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
          redis.call('HSET', KEYS[1], 'leaseUntil', now + tonumber(ARGV[2]))
          return 1
        end
        return 0
        """;

    private IDatabase Db => redis.GetDatabase();

    /// <param name="lease">How long the lease holds unless renewed: a worker that dies mid-dial blocks the request no longer than this.</param>
    public async Task<DialDecision> BeginAsync(string requestId, string owner, TimeSpan lease)
    {
        var result = (string)(await Db.ScriptEvaluateAsync(BeginScript, [RedisKeys.Dial(requestId)],
            [owner, (long)lease.TotalMilliseconds, (long)Lifetime.TotalSeconds]))!;
        return result switch
        {
            "dial" => new DialDecision.Dial(),
            _ when result.StartsWith("wait:", StringComparison.Ordinal) => new DialDecision.Wait(TimeSpan.FromMilliseconds(long.Parse(result[5..]))),
            _ => new DialDecision.Done(result),
        };
    }

    /// <summary>The worker still dials: its lease is extended. False when the lease is no longer its own.</summary>
    public async Task<bool> RenewAsync(string requestId, string owner, TimeSpan lease) =>
        (int)await Db.ScriptEvaluateAsync(RenewScript, [RedisKeys.Dial(requestId)], [owner, (long)lease.TotalMilliseconds]) == 1;

    /// <summary>The request's call exists: from the worker once Twilio answered, or from the call's first status callback.</summary>
    public async Task DialedAsync(string requestId, string callSid)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(RedisKeys.Dial(requestId), [new("state", "dialed"), new("callSid", callSid)]);
        _ = transaction.KeyExpireAsync(RedisKeys.Dial(requestId), Lifetime);
        await transaction.ExecuteAsync();
    }

    /// <summary>Given up on after the last try (or unreadable): never dialed again.</summary>
    public async Task FailedAsync(string requestId) =>
        await Db.HashSetAsync(RedisKeys.Dial(requestId), "state", "failed");
}
