using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WarmTransfer.AgentPortal.Agents;

/// <summary>
/// Failed sign-ins per agent id and per client address, and the lockouts they earn, kept in Redis so every portal replica
/// sees them. An unknown agent id is counted and locked exactly like a known one: a lockout says nothing of which ids exist.
/// </summary>
public sealed class SignInGuard(IConnectionMultiplexer redis, IOptions<SignInOptions> options)
{
    // KEYS: failures, lock. ARGV: failure window ms, failures before lockout, first lockout ms, longest lockout ms.
    // Each failure past the threshold doubles the lockout; the count lives on through the lockout so the next one grows.
    private const string FailScript =
        """
        local failures = redis.call('INCR', KEYS[1])
        local window = tonumber(ARGV[1])
        local lockout = 0
        if failures >= tonumber(ARGV[2]) then
            lockout = math.floor(math.min(tonumber(ARGV[3]) * 2 ^ (failures - tonumber(ARGV[2])), tonumber(ARGV[4])))
            redis.call('SET', KEYS[2], '1', 'PX', lockout)
        end
        redis.call('PEXPIRE', KEYS[1], window + lockout)
        return lockout
        """;

    /// <summary>How long sign-in stays refused for this agent id or address; zero when it is open.</summary>
    public async Task<TimeSpan> LockedForAsync(string agentId, string address)
    {
        var database = redis.GetDatabase();
        var agent = database.KeyTimeToLiveAsync(Lock(AgentScope(agentId)));
        var client = database.KeyTimeToLiveAsync(Lock(AddressScope(address)));
        return new[] { await agent, await client }.Max() ?? TimeSpan.Zero;
    }

    public async Task FailedAsync(string agentId, string address)
    {
        var settings = options.Value;
        var database = redis.GetDatabase();
        await Task.WhenAll(
            CountAsync(database, AgentScope(agentId), settings.AgentFailuresBeforeLockout, settings),
            CountAsync(database, AddressScope(address), settings.AddressFailuresBeforeLockout, settings));
    }

    /// <summary>The agent proved their password: their earlier failures no longer count (the address's still do).</summary>
    public Task SucceededAsync(string agentId) => redis.GetDatabase().KeyDeleteAsync(Failures(AgentScope(agentId)));

    private static Task CountAsync(IDatabase database, string scope, int threshold, SignInOptions settings) =>
        database.ScriptEvaluateAsync(FailScript, [Failures(scope), Lock(scope)],
            [(long)settings.FailureWindow.TotalMilliseconds, threshold, (long)settings.FirstLockout.TotalMilliseconds,
                (long)settings.MaxLockout.TotalMilliseconds]);

    // Ids that no directory entry can have share one scope: any text an attacker sends does not become a key of its own.
    private static string AgentScope(string agentId) => AgentAccount.IsWellFormedId(agentId) ? $"agent:{agentId}" : "agent:(malformed)";

    private static string AddressScope(string address) => $"address:{address}";

    // The scope in braces: a scope's two keys share a Redis Cluster slot, as one script needs.
    private static RedisKey Failures(string scope) => $"wt:portal:sign-in:{{{scope}}}:failures";

    private static RedisKey Lock(string scope) => $"wt:portal:sign-in:{{{scope}}}:locked";
}
